// The dashboard's stylesheet, inlined into the page; its sha256 goes into the CSP (style-src),
// so the page needs no 'unsafe-inline' and no style attributes anywhere.

export const DASHBOARD_STYLE = `
:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #667085; --line: #e3e6eb;
  --accent: #2b59c3; --ok: #137a3a; --ok-bg: #e3f5e9; --warn: #8a5a00; --warn-bg: #fff3d6;
  --bad: #b42318; --bad-bg: #fde8e6; --idle: #475467; --idle-bg: #eef0f3; --p99: #d9730d;
  color-scheme: light;
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; background: var(--bg); color: var(--ink); }
header { display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: #18202f; color: #fff; }
header h1 { font-size: 17px; margin: 0 8px 0 0; letter-spacing: .02em; }
header .muted { color: #b8c0cc; }
main { padding: 16px 20px 40px; max-width: 1500px; margin: 0 auto; }
h2 { font-size: 15px; margin: 22px 0 8px; }
h3 { font-size: 13px; margin: 16px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.muted { color: var(--muted); }
.mono, code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
table { border-collapse: collapse; width: 100%; background: var(--panel); }
.table-wrap { border: 1px solid var(--line); border-radius: 8px; overflow-x: auto; background: var(--panel); }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: middle; white-space: nowrap; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.wrap { white-space: normal; max-width: 420px; overflow-wrap: anywhere; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr.selected td { background: #eef3ff; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; background: var(--idle-bg); color: var(--idle); }
.good { background: var(--ok-bg); color: var(--ok); }
.warn { background: var(--warn-bg); color: var(--warn); }
.bad { background: var(--bad-bg); color: var(--bad); }
button { font: inherit; font-size: 12.5px; padding: 3px 10px; border-radius: 6px; border: 1px solid #c9ced6; background: #fff; color: var(--ink); cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); color: var(--accent); }
button:disabled { opacity: .45; cursor: default; }
button.link { border: 0; background: none; padding: 0; color: var(--accent); font-weight: 600; }
button.danger:hover:not(:disabled) { border-color: var(--bad); color: var(--bad); }
header button { background: transparent; color: #fff; border-color: #4a5568; }
.actions { display: flex; gap: 6px; align-items: center; }
.result { font-size: 12px; }
.result.ok { color: var(--ok); }
.result.error { color: var(--bad); }
#login { max-width: 460px; margin: 60px auto; }
#login h2 { margin-top: 0; }
.canary .actions { margin-top: 8px; }
#login form { display: flex; gap: 8px; margin-top: 10px; }
#login input { flex: 1; font: inherit; padding: 6px 10px; border: 1px solid #c9ced6; border-radius: 6px; }
#login button { padding: 6px 14px; background: var(--accent); border-color: var(--accent); color: #fff; }
.error-box { margin-top: 12px; padding: 10px 12px; border-radius: 6px; background: var(--bad-bg); color: var(--bad); border: 1px solid #f5c2bd; }
#flash { min-height: 22px; margin: 4px 0 0; }
#flash.ok { color: var(--ok); }
#flash.error { color: var(--bad); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.details-head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.details-head h2 { margin: 0; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; overflow-wrap: anywhere; }
ul.plain { margin: 0; padding-left: 18px; }
pre { margin: 0; padding: 10px; background: #f3f4f6; border-radius: 6px; overflow: auto; max-height: 260px; }
.spacer { flex: 1; }
#alerts tr.resolved td { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card-head { display: flex; align-items: center; gap: 8px; font-weight: 600; }
.card .stats { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; margin: 6px 0 2px; font-variant-numeric: tabular-nums; }
.card .stat { display: flex; flex-direction: column; line-height: 1.25; }
.card .stat b { font-size: 16px; }
.card .stat .muted { font-size: 11.5px; }
.chart-label { display: flex; align-items: center; gap: 8px; font-size: 11.5px; margin-top: 6px; }
.legend { display: flex; gap: 10px; }
.key::before { content: ""; display: inline-block; width: 12px; height: 3px; border-radius: 2px; margin-right: 4px; vertical-align: middle; background: var(--muted); }
.key.rps::before, .key.p50::before { background: var(--accent); }
.key.p99::before { background: var(--p99); }
.key.errors::before { background: var(--bad); }
svg.chart { display: block; width: 100%; height: 56px; margin-top: 2px; background: #fafbfc; border: 1px solid var(--line); border-radius: 4px; }
svg.chart path { fill: none; stroke-width: 1.75; vector-effect: non-scaling-stroke; stroke-linejoin: round; stroke-linecap: round; }
svg.chart path.area { fill: rgba(43, 89, 195, .13); stroke: none; }
svg.chart path.rps, svg.chart path.p50 { stroke: var(--accent); }
svg.chart path.p99 { stroke: var(--p99); }
svg.chart path.errors { stroke: var(--bad); }
[hidden] { display: none !important; }
`;
