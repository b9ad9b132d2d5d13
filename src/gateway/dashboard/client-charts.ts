// The dashboard's live panels, inlined into the page's one script (client-script.ts puts this inside
// its closure, after the DOM helpers): alerts (GET /admin/alerts), per-plugin request rate and
// p50/p99 latency as inline SVG charts with open WebSocket connections (GET /admin/stats).
// Text only through textContent; SVG built with createElementNS and plain attributes (no style).
// Written without backticks and template placeholders because it lives inside a TS template literal.

export const DASHBOARD_CHARTS = `
  // ---- alerts: firing and pending first, then the last few resolved ----
  function renderAlerts(a) {
    var firing = a && Array.isArray(a.firing) ? a.firing : [];
    var pending = a && Array.isArray(a.pending) ? a.pending : [];
    var resolved = a && Array.isArray(a.resolved) ? a.resolved.slice(0, 5) : [];
    var hb = $('alerts-badge');
    hb.hidden = firing.length === 0;
    setBadge(hb, firing.length + (firing.length === 1 ? ' alert firing' : ' alerts firing'), 'bad');
    $('alerts').dataset.firing = String(firing.length);
    var list = firing.concat(pending, resolved);
    if (!list.length) { $('alerts-body').replaceChildren(el('p', { cls: 'muted', text: 'No alert is firing or pending.' })); return; }
    $('alerts-body').replaceChildren(table(['state', 'severity', 'rule', 'plugin', 'value', 'threshold', 'summary', 'since'], list.map(function (x) {
      var t = x.state === 'firing' ? 'bad' : x.state === 'pending' ? 'warn' : '';
      var sev = x.severity === 'critical' ? 'bad' : x.severity === 'warning' ? 'warn' : '';
      var when = x.state === 'resolved' ? x.resolved_at : (x.fired_at || x.active_since);
      var since = cell(ago(when));
      since.title = when ? String(when) : '';
      return el('tr', { cls: x.state === 'resolved' ? 'resolved' : '', data: { alert: String(x.rule), plugin: String(x.plugin), state: String(x.state) }, kids: [
        cell(badge(x.state, t)), cell(badge(x.severity, sev)), cell(x.rule, 'mono'), cell(x.plugin, 'mono'),
        cell(num(x.value, 3), 'num'), cell(num(x.threshold, 3), 'num'), cell(x.summary, 'wrap'), since,
      ] });
    }), [4, 5]));
  }

  // ---- traffic: a card per plugin with requests in the window or WebSocket connections open ----
  var SVG = 'http://www.w3.org/2000/svg';
  var CW = 300, CH = 56, PAD = 3;
  var cards = new Map();
  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function maxOf(values) {
    var m = 0;
    for (var i = 0; i < values.length; i++) if (typeof values[i] === 'number' && values[i] > m) m = values[i];
    return m;
  }
  // A polyline over the window; a null value breaks it (no request in that bucket), a lone point is a dot.
  function linePath(values, max) {
    var n = values.length, d = '', open = false;
    for (var i = 0; i < n; i++) {
      var v = values[i];
      if (typeof v !== 'number' || !isFinite(v)) { open = false; continue; }
      var x = n > 1 ? (i / (n - 1)) * CW : CW / 2;
      var y = CH - PAD - (max > 0 ? Math.min(1, v / max) : 0) * (CH - 2 * PAD);
      var next = values[i + 1];
      // a point alone (one bucket with requests between empty ones) is a short dash, inside the box
      if (!open && (typeof next !== 'number' || !isFinite(next))) { d += 'M' + Math.max(0, x - 3).toFixed(1) + ',' + y.toFixed(1) + 'h3'; continue; }
      d += (open ? 'L' : 'M') + x.toFixed(1) + ',' + y.toFixed(1);
      open = true;
    }
    return d;
  }
  function areaPath(values, max) {
    var line = linePath(values, max);
    return line ? line + 'L' + CW + ',' + CH + 'L0,' + CH + 'Z' : '';
  }
  function chart(kind, series) {
    var svg = svgEl('svg', { viewBox: '0 0 ' + CW + ' ' + CH, preserveAspectRatio: 'none', 'class': 'chart', role: 'img' });
    svg.dataset.chart = kind;
    var title = svgEl('title', {});
    svg.append(title);
    series.forEach(function (s) { var p = svgEl('path', { 'class': s, d: '' }); p.dataset.series = s; svg.append(p); });
    return svg;
  }
  function legend(items) {
    return el('div', { cls: 'legend', kids: items.map(function (it) { return el('span', { cls: 'key ' + it[0], text: it[1] }); }) });
  }
  // milliseconds with the digits that matter: 0.012, 1.24, 35.1
  function ms(v) { return typeof v === 'number' && isFinite(v) ? v.toFixed(v < 0.1 ? 3 : v < 10 ? 2 : 1) : '\\u2014'; }
  function makeCard(id) {
    var nums = {};
    var stat = function (k, label) { nums[k] = el('b', { text: '\\u2014' }); return el('span', { cls: 'stat', data: { stat: k }, title: label + ', over the last minute', kids: [nums[k], el('span', { cls: 'muted', text: label })] }); };
    var ws = el('span', { cls: 'badge', data: { ws: '0' }, title: 'WebSocket connections open now' });
    var rps = chart('rps', ['area', 'rps', 'errors']);
    var lat = chart('latency', ['p50', 'p99']);
    var rpsMax = el('span', { cls: 'muted' });
    var latMax = el('span', { cls: 'muted' });
    var card = el('div', { cls: 'card', data: { pluginId: id }, kids: [
      el('div', { cls: 'card-head', kids: [el('span', { cls: 'mono', text: id }), el('span', { cls: 'muted' }), el('span', { cls: 'spacer' }), ws] }),
      el('div', { cls: 'stats', kids: [stat('rps', 'req/s'), stat('errors', '5xx'), stat('p50', 'p50 ms'), stat('p99', 'p99 ms')] }),
      el('div', { cls: 'chart-label', kids: [legend([['rps', 'requests/s'], ['errors', '5xx/s']]), el('span', { cls: 'spacer' }), rpsMax] }), rps,
      el('div', { cls: 'chart-label', kids: [legend([['p50', 'p50'], ['p99', 'p99']]), el('span', { cls: 'spacer' }), latMax] }), lat,
    ] });
    return { card: card, version: card.firstChild.children[1], ws: ws, nums: nums, rps: rps, lat: lat, rpsMax: rpsMax, latMax: latMax };
  }
  function clearLive() {
    cards.forEach(function (c) { c.card.remove(); });
    cards.clear();
    $('alerts-body').replaceChildren();
    $('alerts-badge').hidden = true;
    $('ws-badge').hidden = true;
  }
  function setPath(svg, name, d) { svg.querySelector('path[data-series="' + name + '"]').setAttribute('d', d); }
  function renderStats(d) {
    var list = d && Array.isArray(d.plugins) ? d.plugins : [];
    var total = d && typeof d.websocket_connections === 'number' ? d.websocket_connections : 0;
    setBadge($('ws-badge'), 'WebSocket: ' + total + ' open', total ? 'good' : '');
    $('ws-badge').hidden = false;
    $('ws-badge').dataset.open = String(total);
    var minutes = d && d.window_s ? Math.round(d.window_s / 60) : 5;
    $('traffic-window').textContent = '(last ' + minutes + ' min, ' + (d && d.interval_s ? d.interval_s : 5) + ' s buckets)';
    var grid = $('traffic-grid');
    var seen = new Set(), quiet = 0;
    list.forEach(function (p) {
      var id = String(p.id);
      var s = p.series;
      if (!s && !p.websocket_connections) { quiet++; return; }
      seen.add(id);
      var c = cards.get(id);
      if (!c) { c = makeCard(id); cards.set(id, c); }
      grid.append(c.card); // the server's order
      c.version.textContent = String(p.version || '');
      setBadge(c.ws, p.websocket_connections + ' WebSocket', p.websocket_connections ? 'good' : '');
      c.ws.dataset.ws = String(p.websocket_connections || 0);
      var m = p.last_minute || {};
      c.nums.rps.textContent = num(m.rps, 2);
      c.nums.errors.textContent = num(m.errors);
      c.nums.p50.textContent = ms(m.p50_ms);
      c.nums.p99.textContent = ms(m.p99_ms);
      c.card.title = id + ': ' + num(m.requests) + ' requests in the last minute';
      s = s || { requests: [], rps: [], errors: [], p50_ms: [], p99_ms: [] };
      // 5xx a second: the bucket's rate times its share of 5xx
      var errRate = s.errors.map(function (n, i) { return s.requests[i] ? (s.rps[i] * n) / s.requests[i] : 0; });
      var rmax = Math.max(maxOf(s.rps), maxOf(errRate));
      setPath(c.rps, 'area', areaPath(s.rps, rmax));
      setPath(c.rps, 'rps', linePath(s.rps, rmax));
      setPath(c.rps, 'errors', maxOf(errRate) > 0 ? linePath(errRate, rmax) : '');
      c.rps.firstChild.textContent = id + ': peak ' + num(maxOf(s.rps), 2) + ' requests/s';
      c.rpsMax.textContent = 'max ' + num(rmax, 2) + '/s';
      var lmax = Math.max(maxOf(s.p99_ms), maxOf(s.p50_ms));
      setPath(c.lat, 'p50', linePath(s.p50_ms, lmax));
      setPath(c.lat, 'p99', linePath(s.p99_ms, lmax));
      c.lat.firstChild.textContent = id + ': p99 peak ' + ms(maxOf(s.p99_ms)) + ' ms';
      c.latMax.textContent = 'max ' + ms(lmax) + ' ms';
    });
    cards.forEach(function (c, id) { if (!seen.has(id)) { c.card.remove(); cards.delete(id); } });
    $('traffic-empty').hidden = seen.size > 0;
    $('traffic-quiet').textContent = quiet && seen.size ? quiet + (quiet === 1 ? ' plugin' : ' plugins') + ' without requests in the window not shown.' : '';
  }
`;
