// The dashboard's browser code (vanilla JS, inlined into the page; its sha256 goes into the CSP).
// It renders only through textContent / createElement: every string from the API is untrusted.
// Written without backticks and template placeholders because it lives inside a TS template literal
// (the one placeholder puts the live panels of client-charts.ts inside the same closure).

import { DASHBOARD_CHARTS } from './client-charts.js';

export const DASHBOARD_SCRIPT = `
'use strict';
(function () {
  var TOKEN_KEY = 'plugway.admin-token';
  var REFRESH_MS = 3000;
  // The admin API sits beside the dashboard, also when the gateway is mounted under a prefix.
  var BASE = location.pathname.replace(/\\/dashboard\\/?$/, '') + '/admin';

  // The token lives in this page's memory only: storage is shared with every page of this origin,
  // plugin pages included (docs/admin-api.md). A token an older dashboard stored is removed.
  var token = '';
  try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage disabled */ }
  var selected = null;
  var timer = null;
  var refreshing = false;
  var rows = new Map();
  var detailsKey = '';
  var $ = function (id) { return document.getElementById(id); };

  // ---- DOM helpers (text only) ----
  function el(tag, opts) {
    var e = document.createElement(tag);
    opts = opts || {};
    if (opts.cls) e.className = opts.cls;
    if (opts.text !== undefined && opts.text !== null) e.textContent = String(opts.text);
    if (opts.title) e.title = String(opts.title);
    if (opts.data) for (var k in opts.data) e.dataset[k] = String(opts.data[k]);
    if (opts.kids) for (var i = 0; i < opts.kids.length; i++) if (opts.kids[i]) e.append(opts.kids[i]);
    return e;
  }
  function safeClass(prefix, v) { return prefix + (/^[a-z_]+$/.test(String(v)) ? v : 'other'); }
  function tone(v) {
    if (v === 'running' || v === 'healthy' || v === 'closed' || v === true) return 'good';
    if (v === 'failed' || v === 'unhealthy' || v === 'open' || v === 'ejected') return 'bad';
    if (v === 'degraded' || v === 'half_open' || v === 'half-open' || v === 'stopping' || v === 'initialized' || v === 'loaded') return 'warn';
    return '';
  }
  function badge(text, t) { return el('span', { cls: 'badge ' + (t === undefined ? tone(text) : t), text: text }); }
  function setBadge(span, text, t) { span.textContent = String(text); span.className = 'badge ' + (t === undefined ? tone(text) : t); }
  function num(v, digits) {
    if (typeof v !== 'number' || !isFinite(v)) return '\\u2014';
    return digits ? v.toFixed(digits) : String(v);
  }
  function ago(iso) {
    if (!iso) return '\\u2014';
    var t = Date.parse(iso);
    if (!isFinite(t)) return String(iso);
    var s = Math.max(0, Math.round((Date.now() - t) / 1000));
    if (s < 60) return s + 's ago';
    if (s < 3600) return Math.floor(s / 60) + 'm ago';
    if (s < 86400) return Math.floor(s / 3600) + 'h ago';
    return Math.floor(s / 86400) + 'd ago';
  }
  function table(headers, bodyRows, numCols) {
    numCols = numCols || [];
    var head = el('tr', { kids: headers.map(function (h, i) { return el('th', { text: h, cls: numCols.indexOf(i) >= 0 ? 'num' : '' }); }) });
    var tb = el('tbody', { kids: bodyRows });
    return el('div', { cls: 'table-wrap', kids: [el('table', { kids: [el('thead', { kids: [head] }), tb] })] });
  }
  function cell(v, cls) { var td = el('td', { cls: cls || '' }); if (v instanceof Node) td.append(v); else td.textContent = v === undefined || v === null ? '\\u2014' : String(v); return td; }
${DASHBOARD_CHARTS}

  // ---- API ----
  function Unauthorized(status, code, message) { this.status = status; this.code = code; this.message = message; }
  async function api(method, path, body) {
    var headers = { authorization: 'Bearer ' + token, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    var res;
    try {
      res = await fetch(BASE + path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit', redirect: 'error' });
    } catch (err) {
      return { ok: false, status: 0, code: 'NETWORK_ERROR', message: 'the gateway did not answer (' + (err && err.message ? err.message : err) + ')' };
    }
    var json = null;
    try { json = await res.json(); } catch (e) { json = null; }
    var error = json && json.error ? json.error : null;
    if (res.status === 401) throw new Unauthorized(401, error ? error.code : 'HTTP_401', error ? error.message : 'unauthorized');
    if (!res.ok) return { ok: false, status: res.status, code: error && error.code ? error.code : 'HTTP_' + res.status, message: error && error.message ? error.message : res.statusText, json: json };
    return { ok: true, status: res.status, json: json };
  }
  var enc = encodeURIComponent;

  // ---- sign in / out ----
  function showLogin(message) {
    clearTimeout(timer);
    timer = null;
    $('app').hidden = true;
    $('logout').hidden = true;
    $('health-badge').hidden = true;
    $('login').hidden = false;
    var box = $('login-error');
    box.hidden = !message;
    box.textContent = message || '';
    $('token').focus();
  }
  function unauthorizedMessage(e) {
    return 'Wrong admin token: the gateway answered ' + e.status + ' ' + e.code + '. Use the token from PLUGWAY_ADMIN_TOKEN, gateway.admin.token or <state dir>/admin-token.';
  }
  async function signIn(candidate) {
    token = candidate;
    try {
      var probe = await api('GET', '/health');
      if (!probe.ok) { showLogin('The admin API answered ' + probe.status + ' ' + probe.code + ': ' + probe.message); return; }
    } catch (e) {
      if (e instanceof Unauthorized) { token = ''; showLogin(unauthorizedMessage(e)); return; }
      throw e;
    }
    $('login').hidden = true;
    $('login-error').hidden = true;
    $('app').hidden = false;
    $('logout').hidden = false;
    $('health-badge').hidden = false;
    await refresh();
  }
  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var v = $('token').value.trim();
    $('token').value = '';
    if (v) signIn(v);
  });
  $('logout').addEventListener('click', function () {
    token = '';
    rows.forEach(function (r) { r.tr.remove(); });
    rows.clear();
    clearLive();
    selected = null;
    $('details').hidden = true;
    showLogin('');
  });

  // ---- refresh loop ----
  async function refresh() {
    if (refreshing || !token) return;
    refreshing = true;
    clearTimeout(timer);
    try {
      var res = await Promise.all([api('GET', '/plugins'), api('GET', '/health'), api('GET', '/hooks/stats'), api('GET', '/nodes'), api('GET', '/upstreams'), api('GET', '/stats'), api('GET', '/alerts')]);
      if (res[0].ok) renderPlugins(res[0].json);
      if (res[1].ok) renderHealth(res[1].json);
      if (res[2].ok) renderHooks(res[2].json);
      if (res[3].ok) renderNodes(res[3].json);
      if (res[4].ok) renderUpstreams(res[4].json);
      if (res[5].ok) renderStats(res[5].json);
      if (res[6].ok) renderAlerts(res[6].json);
      var failed = res.filter(function (r) { return !r.ok; });
      $('updated').textContent = failed.length ? 'refresh failed: ' + failed[0].code : 'updated ' + new Date().toLocaleTimeString();
      if (selected) await refreshDetails();
    } catch (e) {
      if (e instanceof Unauthorized) { token = ''; refreshing = false; showLogin('The admin token is no longer accepted (' + e.code + '). Enter it again.'); return; }
      $('updated').textContent = 'refresh failed: ' + (e && e.message ? e.message : e);
    }
    refreshing = false;
    timer = setTimeout(refresh, REFRESH_MS);
  }

  // ---- plugins table (rows kept per id, so buttons stay put between refreshes) ----
  var COLS = ['version', 'kind', 'runtime', 'state', 'health', 'enabled', 'requests', 'errors', 'mean_ms', 'last_used'];
  function makeRow(id) {
    var tr = el('tr', { data: { pluginId: id } });
    var idBtn = el('button', { cls: 'link', text: id, title: 'Show details' });
    idBtn.addEventListener('click', function () { select(id); });
    tr.append(el('td', { kids: [idBtn] }));
    var cells = {};
    COLS.forEach(function (c) {
      var td = el('td', { data: { col: c }, cls: ['requests', 'errors', 'mean_ms'].indexOf(c) >= 0 ? 'num' : '' });
      if (['state', 'health', 'enabled'].indexOf(c) >= 0) td.append(el('span', { cls: 'badge' }));
      cells[c] = td;
      tr.append(td);
    });
    var buttons = {};
    var actions = el('div', { cls: 'actions' });
    [['enable', 'Enable', ''], ['disable', 'Disable', 'danger'], ['reload', 'Reload', ''], ['rollback', 'Roll back', 'danger']].forEach(function (a) {
      var b = el('button', { text: a[1], cls: a[2], data: { action: a[0] }, title: a[0] + ' ' + id });
      b.addEventListener('click', function () { act(id, a[0]); });
      buttons[a[0]] = b;
      actions.append(b);
    });
    var result = el('span', { cls: 'result', data: { col: 'result' } });
    actions.append(result);
    tr.append(el('td', { kids: [actions] }));
    return { tr: tr, cells: cells, buttons: buttons, result: result, busy: false };
  }
  function renderPlugins(data) {
    var list = (data && Array.isArray(data.plugins)) ? data.plugins : [];
    $('plugin-count').textContent = '(' + list.length + ')';
    var tbody = $('plugins-body');
    var seen = new Set();
    list.forEach(function (p) {
      var id = String(p.id);
      seen.add(id);
      var r = rows.get(id);
      if (!r) { r = makeRow(id); rows.set(id, r); }
      tbody.append(r.tr); // keeps the server's order
      var m = p.metrics || {};
      r.cells.version.textContent = String(p.version);
      r.cells.kind.textContent = String(p.kind);
      r.cells.runtime.textContent = String(p.runtime);
      setBadge(r.cells.state.firstChild, p.state);
      r.cells.state.firstChild.title = p.error ? p.error.code + ': ' + p.error.message : '';
      setBadge(r.cells.health.firstChild, p.health);
      setBadge(r.cells.enabled.firstChild, p.enabled ? 'enabled' : 'disabled', p.enabled ? 'good' : '');
      r.cells.requests.textContent = num(m.requestCount);
      r.cells.errors.textContent = num(m.errorCount);
      r.cells.mean_ms.textContent = num(m.responseTimeMs, 1);
      r.cells.last_used.textContent = ago(p.last_used);
      r.cells.last_used.title = p.last_used ? String(p.last_used) : 'never';
      r.tr.title = p.description ? String(p.description) : '';
      r.tr.dataset.state = String(p.state);
      r.tr.dataset.enabled = String(!!p.enabled);
      r.tr.classList.toggle('selected', selected === id);
      r.buttons.enable.disabled = r.busy || !!p.enabled;
      r.buttons.disable.disabled = r.busy || !p.enabled;
      r.buttons.reload.disabled = r.busy;
      // Roll back needs a version to go to (rollback_to); without one the title says why.
      var noTarget = 'rollback_to' in p && !p.rollback_to;
      r.buttons.rollback.disabled = r.busy || noTarget;
      r.buttons.rollback.title = noTarget ? whyNoRollback(id, p) : p.rollback_to ? 'Switch back to ' + p.rollback_to + ' (the previous kept version)' : 'Switch back to the previous kept version';
    });
    rows.forEach(function (r, id) { if (!seen.has(id)) { r.tr.remove(); rows.delete(id); } });
    $('plugins-empty').hidden = list.length > 0;
  }

  function whyNoRollback(id, p) {
    var kept = typeof p.versions_kept === 'number' ? p.versions_kept : 0;
    if (kept === 0) return 'Nothing to roll back to: no version of ' + id + ' is kept (no state dir, or a plugin given in code)';
    if (kept === 1) return 'Nothing to roll back to: ' + id + ' has only one version (' + p.version + ')';
    return 'Nothing to roll back to: the other kept versions of ' + id + ' were rejected by an automatic rollback (see Versions in its details)';
  }

  // ---- actions ----
  function flash(ok, text) {
    var f = $('flash');
    f.className = ok ? 'ok' : 'error';
    f.textContent = text;
  }
  async function act(id, action, body, label) {
    var r = rows.get(id);
    if (r) { r.busy = true; Object.keys(r.buttons).forEach(function (k) { r.buttons[k].disabled = true; }); r.result.textContent = action + '\\u2026'; r.result.className = 'result'; }
    var path = '/plugins/' + enc(id) + '/' + action; // action may be 'canary/promote'
    var out;
    try {
      out = await api('POST', path, body);
    } catch (e) {
      if (e instanceof Unauthorized) { token = ''; showLogin(unauthorizedMessage(e)); return; }
      out = { ok: false, status: 0, code: 'CLIENT_ERROR', message: String(e && e.message ? e.message : e) };
    }
    var what = (label || action) + ' ' + id;
    var text;
    if (out.ok) {
      var j = out.json || {};
      var parts = [];
      if (j.from && j.version) parts.push(j.from + ' \\u2192 ' + j.version);
      else if (j.version) parts.push('version ' + j.version);
      if (j.state) parts.push('state ' + j.state);
      if (typeof j.enabled === 'boolean') parts.push(j.enabled ? 'enabled' : 'disabled');
      text = what + ': ok' + (parts.length ? ' (' + parts.join(', ') + ')' : '');
    } else {
      text = what + ' failed: ' + out.code + (out.status ? ' (HTTP ' + out.status + ')' : '') + ' \\u2014 ' + out.message;
    }
    flash(out.ok, text);
    if (r) { r.busy = false; r.result.textContent = out.ok ? 'ok' : out.code; r.result.className = 'result ' + (out.ok ? 'ok' : 'error'); r.result.title = text; }
    detailsKey = '';
    await refresh();
  }

  // ---- details panel ----
  function select(id) {
    selected = selected === id ? null : id;
    detailsKey = '';
    rows.forEach(function (r, rid) { r.tr.classList.toggle('selected', rid === selected); });
    if (!selected) { $('details').hidden = true; return; }
    $('details').hidden = false;
    $('details-body').replaceChildren(el('p', { cls: 'muted', text: 'Loading ' + id + '\\u2026' }));
    refresh();
  }
  async function refreshDetails() {
    var id = selected;
    var res = await Promise.all([api('GET', '/plugins/' + enc(id)), api('GET', '/plugins/' + enc(id) + '/versions')]);
    if (id !== selected) return;
    var d = res[0], v = res[1];
    if (!d.ok) {
      $('details-body').replaceChildren(el('p', { cls: 'error-box', text: id + ': ' + d.code + ' \\u2014 ' + d.message }));
      detailsKey = '';
      return;
    }
    var p = d.json;
    var vers = v.ok ? v.json : null;
    var key = JSON.stringify([p.version, p.state, p.enabled, p.health, p.circuit, p.error, p.endpoints, p.dependencies, p.dependents, p.config, p.description, vers, v.ok ? '' : v.code]);
    if (key === detailsKey) return;
    detailsKey = key;
    renderDetails(p, vers, v.ok ? null : v);
  }
  function renderDetails(p, vers, versErr) {
    var id = String(p.id);
    var kids = [];
    kids.push(el('div', { cls: 'details-head', kids: [
      el('h2', { text: (p.name || id) + ' ' + p.version }),
      el('span', { cls: 'mono muted', text: id }),
      badge(p.state), badge(p.health),
      badge('circuit ' + (p.circuit || 'closed'), tone(p.circuit || 'closed')),
    ] }));
    if (p.description) kids.push(el('p', { cls: 'description', text: p.description }));
    if (p.error) kids.push(el('p', { cls: 'error-box', text: p.error.code + ': ' + p.error.message }));
    kids.push(el('dl', { cls: 'kv', kids: [
      el('dt', { text: 'kind' }), el('dd', { text: p.kind }),
      el('dt', { text: 'runtime' }), el('dd', { text: p.runtime }),
      el('dt', { text: 'loaded' }), el('dd', { text: p.loaded_at || '\\u2014' }),
      el('dt', { text: 'last used' }), el('dd', { text: p.last_used || 'never' }),
    ] }));

    kids.push(el('h3', { text: 'Endpoints' }));
    var eps = Array.isArray(p.endpoints) ? p.endpoints : [];
    kids.push(eps.length ? table(['method', 'path', 'auth', 'roles', 'rate limit', 'description'], eps.map(function (e) {
      return el('tr', { kids: [cell(e.method, 'mono'), cell(e.path, 'mono'), cell(e.auth), cell((e.roles || []).join(', ') || '\\u2014'), cell(e.rate_limit), cell(e.description, 'wrap')] });
    })) : el('p', { cls: 'muted', text: 'No HTTP endpoints.' }));

    kids.push(el('h3', { text: 'Dependencies' }));
    var deps = Array.isArray(p.dependencies) ? p.dependencies : [];
    kids.push(deps.length ? el('ul', { cls: 'plain', kids: deps.map(function (dep) {
      return el('li', { cls: 'mono', text: dep.id + ' ' + (dep.range || '*') + (dep.optional ? ' (optional)' : '') });
    }) }) : el('p', { cls: 'muted', text: 'None.' }));
    kids.push(el('h3', { text: 'Dependents' }));
    var dependents = Array.isArray(p.dependents) ? p.dependents : [];
    kids.push(dependents.length ? el('ul', { cls: 'plain', kids: dependents.map(function (x) { return el('li', { cls: 'mono', text: x }); }) }) : el('p', { cls: 'muted', text: 'None.' }));

    kids.push(el('h3', { text: 'Versions' }));
    if (!vers) {
      kids.push(el('p', { cls: 'muted', text: 'Versions are not available: ' + (versErr ? versErr.code + ' \\u2014 ' + versErr.message : 'no answer') }));
    } else {
      if (vers.desired) kids.push(el('p', { cls: 'muted', text: 'desired: ' + vers.desired.version + (vers.desired.pinned ? ' (pinned)' : '') }));
      var list = Array.isArray(vers.versions) ? vers.versions : [];
      kids.push(list.length ? table(['version', 'hash', 'saved', 'files', ''], list.map(function (k) {
        var btn;
        if (k.active) btn = badge('active', 'good');
        else {
          btn = el('button', { text: 'Roll back to ' + k.version, cls: 'danger', data: { rollbackTo: k.version } });
          btn.addEventListener('click', function () { act(id, 'rollback', { version: String(k.hash || k.version) }, 'rollback to ' + k.version); });
        }
        return el('tr', { data: { version: k.version }, kids: [cell(k.version, 'mono'), cell(String(k.hash || '').slice(0, 12), 'mono'), cell(k.saved_at), cell(Array.isArray(k.files) ? k.files.join(', ') : k.files, 'wrap'), cell(btn)] });
      })) : el('p', { cls: 'muted', text: 'No versions kept (active: ' + (vers.active ? vers.active.version : p.version) + ').' }));
      kids.push(el('h3', { text: 'Canary' }));
      kids.push(vers.canary ? renderCanary(id, vers.canary) : el('p', { cls: 'muted', text: 'No canary running.' }));
    }

    kids.push(el('h3', { text: 'Config (secrets redacted)' }));
    kids.push(el('pre', { cls: 'mono', text: JSON.stringify(p.config === undefined ? null : p.config, null, 2) }));
    $('details-body').replaceChildren.apply($('details-body'), kids);
  }
  function renderCanary(id, c) {
    var line = function (name, s) {
      s = s || {};
      return el('tr', { kids: [cell(name), cell(s.version, 'mono'), cell(s.state), cell(num(s.calls), 'num'), cell(num(s.errors), 'num'), cell(typeof s.error_rate === 'number' ? (s.error_rate * 100).toFixed(1) + '%' : '\\u2014', 'num'), cell(num(s.mean_ms, 1), 'num'), cell(num(s.in_flight), 'num')] });
    };
    var promote = el('button', { text: 'Promote', data: { canary: 'promote' } });
    promote.addEventListener('click', function () { act(id, 'canary/promote', undefined, 'canary promote'); });
    var abort = el('button', { text: 'Abort', cls: 'danger', data: { canary: 'abort' } });
    abort.addEventListener('click', function () { act(id, 'canary/abort', undefined, 'canary abort'); });
    return el('div', { cls: 'canary', kids: [
      el('p', { text: num(c.percent) + '% of calls to ' + (c.canary ? c.canary.version : '?') + ', sticky by ' + c.sticky_by + ', since ' + c.started_at }),
      table(['', 'version', 'state', 'calls', 'errors', 'error rate', 'mean ms', 'in flight'], [line('stable', c.stable), line('canary', c.canary)], [3, 4, 5, 6, 7]),
      el('div', { cls: 'actions', kids: [promote, abort] }),
    ] });
  }
  $('details-close').addEventListener('click', function () { if (selected) select(selected); });

  // ---- health and hooks ----
  function renderHealth(h) {
    var status = h && h.status ? h.status : 'unknown';
    var unchecked = h && h.counts && h.counts.unknown ? ' (' + h.counts.unknown + ' not checked yet)' : '';
    setBadge($('health-badge'), 'overall: ' + status + unchecked, tone(status));
    $('health-badge').dataset.status = String(status);
    var list = Array.isArray(h.plugins) ? h.plugins : [];
    $('health-table').replaceChildren(list.length ? table(['plugin', 'state', 'health', 'circuit', 'message'], list.map(function (p) {
      return el('tr', { kids: [cell(p.id, 'mono'), cell(badge(p.state)), cell(badge(p.health)), cell(badge(p.circuit, tone(p.circuit))), cell(p.hint ? (p.message ? p.message + ' — ' : '') + p.hint : p.message, 'wrap')] });
    })) : el('p', { cls: 'muted', text: 'No plugins.' }));
  }
  function renderHooks(s) {
    var hooks = s && s.hooks ? s.hooks : {};
    var names = Object.keys(hooks).sort();
    $('hooks-table').replaceChildren(names.length ? table(['hook', 'calls', 'errors', 'timeouts', 'mean ms', 'p99 ms'], names.map(function (n) {
      var x = hooks[n] || {};
      return el('tr', { kids: [cell(n, 'mono'), cell(num(x.count), 'num'), cell(num(x.errors), 'num'), cell(num(x.timeouts), 'num'), cell(num(x.meanMs, 2), 'num'), cell(num(x.p99Ms, 2), 'num')] });
    }), [1, 2, 3, 4, 5]) : el('p', { cls: 'muted', text: 'No hook has run yet.' }));
  }

  // ---- remote plugins' upstreams (the section shows when there is one) ----
  function renderUpstreams(u) {
    var rows = [];
    (u && Array.isArray(u.plugins) ? u.plugins : []).forEach(function (p) {
      (p.upstreams || []).forEach(function (x) {
        rows.push(el('tr', { kids: [cell(p.id, 'mono'), cell(x.url, 'mono'), cell(badge(x.state)), cell(num(x.in_flight), 'num'), cell(num(x.requests), 'num'), cell(num(x.errors), 'num'), cell(num(x.latency_mean_ms, 2), 'num'), cell(num(x.latency_p99_ms, 2), 'num'), cell(num(x.ejections), 'num'), cell(x.last_check ? (x.last_check.ok ? 'ok' : x.last_check.reason) : null, 'wrap')] }));
      });
    });
    $('upstreams').hidden = rows.length === 0;
    $('upstreams-table').replaceChildren(table(['plugin', 'upstream', 'state', 'in flight', 'requests', 'errors', 'mean ms', 'p99 ms', 'ejections', 'last check'], rows, [3, 4, 5, 6, 7, 8]));
  }

  // ---- nodes: the cluster's node list, skew and problems ----
  function renderNodes(d) {
    var nodes = d && Array.isArray(d.nodes) ? d.nodes : [];
    var kids = [table(['node', 'address', 'plugway', 'plugins', 'started', 'problems'], nodes.map(function (n) {
      var plugins = (n.plugins || []).map(function (p) { return p.id + ' ' + p.version + (p.health && p.health !== 'healthy' ? ' (' + p.health + ')' : ''); }).join(', ');
      var problems = (n.problems || []).map(function (p) { return (p.plugin ? p.plugin + ': ' : '') + p.code; }).join(', ');
      return el('tr', { data: { nodeId: String(n.id) }, kids: [cell(String(n.id) + (n.id === d.self ? ' \u2022' : ''), 'mono'), cell(n.address || '\u2014', 'mono'), cell(String(n.plugway_version || '')), cell(plugins), cell(ago(n.started_at)), cell(problems || '\u2014', problems ? 'error-text' : 'muted')] });
    }))];
    (d && Array.isArray(d.skew) ? d.skew : []).forEach(function (s) {
      kids.push(el('p', { cls: 'error-box', text: 'version skew: ' + s.plugin + ' \u2014 ' + Object.keys(s.versions).map(function (v) { return v + ' on ' + s.versions[v].join(', '); }).join('; ') }));
    });
    // A gateway on its own has no nodes to show: the panel appears with a cluster (state.store: etcd).
    $('nodes').hidden = !(d && d.cluster && nodes.length);
    $('nodes-table').replaceChildren.apply($('nodes-table'), kids);
  }

  document.addEventListener('visibilitychange', function () { if (!document.hidden && token && !$('app').hidden) refresh(); });
  if (token) signIn(token); else showLogin('');
})();
`;
