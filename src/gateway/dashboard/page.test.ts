// The dashboard page on its own: the inline script parses, renders only through text sinks, and
// the CSP's hashes are those of exactly the inline script and style in the page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { DASHBOARD_CSP, DASHBOARD_HEADERS, DASHBOARD_HTML } from './page.js';
import { DASHBOARD_SCRIPT } from './client-script.js';
import { DASHBOARD_STYLE } from './client-style.js';

const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
const between = (open: string, close: string) => {
  const i = DASHBOARD_HTML.indexOf(open);
  const j = DASHBOARD_HTML.indexOf(close, i);
  assert.ok(i >= 0 && j > i, `${open} … ${close} in the page`);
  return DASHBOARD_HTML.slice(i + open.length, j);
};

test('the inline script is valid JavaScript and uses no HTML sinks or eval', () => {
  assert.doesNotThrow(() => new Script(DASHBOARD_SCRIPT, { filename: 'dashboard.js' }));
  for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', "setAttribute('on", '.style.']) {
    assert.ok(!DASHBOARD_SCRIPT.includes(sink), sink);
  }
  assert.ok(!DASHBOARD_SCRIPT.toLowerCase().includes('</script'));
  assert.ok(!DASHBOARD_STYLE.toLowerCase().includes('</style'));
});

test('exactly one inline script and one inline style, both allowed by hash; no other source', () => {
  assert.equal(DASHBOARD_HTML.split('<script').length - 1, 1);
  assert.equal(DASHBOARD_HTML.split('<style').length - 1, 1);
  assert.ok(!/ style=|\son[a-z]+=/i.test(DASHBOARD_HTML.replace(DASHBOARD_SCRIPT, '')), 'no style or on* attributes');
  assert.equal(between('<script>', '</script>'), DASHBOARD_SCRIPT);
  assert.equal(between('<style>', '</style>'), DASHBOARD_STYLE);
  const directives = Object.fromEntries(
    DASHBOARD_CSP.split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([k, ...v]) => [k!, v.join(' ')]),
  );
  assert.equal(directives['script-src'], hash(DASHBOARD_SCRIPT));
  assert.equal(directives['style-src'], hash(DASHBOARD_STYLE));
  assert.equal(directives['default-src'], "'none'");
  assert.equal(directives['connect-src'], "'self'");
  assert.equal(directives['frame-ancestors'], "'none'");
  assert.ok(!/https?:|unsafe-/.test(DASHBOARD_CSP));
  assert.ok(!/(src|href)="https?:/.test(DASHBOARD_HTML), 'no external assets');
  assert.equal(DASHBOARD_HEADERS['content-security-policy'], DASHBOARD_CSP);
  assert.equal(DASHBOARD_HEADERS['cache-control'], 'no-store');
});
