// The dashboard page: static HTML (it holds no data) with the inline style and script, and the
// Content-Security-Policy that allows exactly those two by their sha256 hashes, nothing else.

import { createHash } from 'node:crypto';
import { DASHBOARD_SCRIPT } from './client-script.js';
import { DASHBOARD_STYLE } from './client-style.js';

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

const BODY = `
<header>
  <h1>plugway</h1>
  <span id="health-badge" class="badge" hidden>overall: \u2014</span>
  <span id="alerts-badge" class="badge bad" hidden></span>
  <span id="ws-badge" class="badge" hidden></span>
  <span class="spacer"></span>
  <span id="updated" class="muted"></span>
  <button id="logout" type="button" hidden>Sign out</button>
</header>
<main>
  <section id="login" class="panel" hidden>
    <h2>Admin token</h2>
    <p class="muted">The dashboard calls the admin API with this token. It is kept in this page's memory only (never in browser storage, which plugin pages of this origin could read): reloading the page asks for it again.</p>
    <form id="login-form" autocomplete="off">
      <input id="token" name="token" type="password" placeholder="admin token" aria-label="Admin token" spellcheck="false" autocomplete="off">
      <button type="submit" id="login-submit">Open</button>
    </form>
    <p id="login-error" class="error-box" role="alert" hidden></p>
  </section>
  <section id="app" hidden>
    <div id="flash" role="status" aria-live="polite"></div>
    <section id="alerts"><h2>Alerts</h2><div id="alerts-body"></div></section>
    <section id="traffic">
      <h2>Traffic <span id="traffic-window" class="muted"></span></h2>
      <div id="traffic-grid" class="cards"></div>
      <p id="traffic-empty" class="muted" hidden>No plugin has answered a request in the window, and no WebSocket is open.</p>
      <p id="traffic-quiet" class="muted"></p>
    </section>
    <h2>Plugins <span id="plugin-count" class="muted"></span></h2>
    <div class="table-wrap">
      <table id="plugins">
        <thead><tr>
          <th>id</th><th>version</th><th>kind</th><th>runtime</th><th>state</th><th>health</th><th>enabled</th>
          <th class="num">requests</th><th class="num">errors</th><th class="num">mean ms</th><th>last used</th><th>actions</th>
        </tr></thead>
        <tbody id="plugins-body"></tbody>
      </table>
      <p id="plugins-empty" class="muted" hidden>No plugins are loaded.</p>
    </div>
    <section id="details" class="panel" hidden>
      <div class="actions"><span class="spacer"></span><button id="details-close" type="button">Close details</button></div>
      <div id="details-body"></div>
    </section>
    <section id="upstreams" hidden><h2>Upstreams</h2><div id="upstreams-table"></div></section>
    <div class="grid">
      <section><h2>Health</h2><div id="health-table"></div></section>
      <section><h2>Hooks</h2><div id="hooks-table"></div></section>
      <section id="nodes" hidden><h2>Nodes</h2><div id="nodes-table"></div></section>
    </div>
  </section>
</main>
`;

/** The page, identical for every response (so its hashes are computed once). */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>plugway dashboard</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_STYLE}</style>
</head>
<body>${BODY}<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;

/**
 * Only the page's own inline style and script run (by hash); fetches go to this origin only; no
 * frames, forms, plugins or base changes; Trusted Types make any innerHTML-style sink throw.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(DASHBOARD_SCRIPT)}`,
  `style-src ${sha256(DASHBOARD_STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': DASHBOARD_CSP,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
