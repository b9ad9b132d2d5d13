// What `plugway plugin create --runtime wasm` writes: an AssemblyScript handler on the Extism
// PDK that speaks plugway's wasm ABI (handle_request: PluginRequest JSON in, PluginResponse JSON out).

import type { KindTemplate } from './node-kinds.js';

export function wasmHandlerTemplate(id: string): KindTemplate {
  return {
    source: `// ${id}: a wasm handler plugin in AssemblyScript on the Extism PDK.
// ABI: handle_request reads the PluginRequest as JSON and writes the PluginResponse as JSON;
// health_check writes a HealthStatus. The plugin's config arrives as Extism config (strings).
import { Config, Host } from '@extism/as-pdk';

// Called by AssemblyScript on a failed assertion; the trap is reported by plugway.
function myAbort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  unreachable();
}

/** The string value of "key" inside the JSON object that follows "section": (flat objects only). */
function field(json: string, section: string, key: string): string {
  let from = json.indexOf('"' + section + '":{');
  if (from < 0) return '';
  const close = json.indexOf('}', from);
  const needle = '"' + key + '":"';
  const at = json.indexOf(needle, from);
  if (at < 0 || (close >= 0 && at > close)) return '';
  const start = at + needle.length;
  const end = json.indexOf('"', start);
  return end < 0 ? '' : json.slice(start, end);
}

function escapeJson(s: string): string {
  return s.replaceAll('\\\\', '\\\\\\\\').replaceAll('"', '\\\\"');
}

export function handle_request(): i32 {
  const req = Host.inputString();
  let name = field(req, 'params', 'name');
  if (name.length == 0) name = 'world';
  const configured = Config.get('greeting');
  const greeting = configured == null ? 'Hello' : configured;
  const message = escapeJson(greeting + ', ' + name + '!');
  Host.outputString(
    '{"statusCode":200,"headers":{"content-type":"application/json"},"body":{"message":"' + message + '","plugin":"${id}"}}',
  );
  return 0;
}

export function health_check(): i32 {
  Host.outputString('{"status":"healthy"}');
  return 0;
}
`,
    manifest: `endpoints:
  - path: /${id}/hello/{name}
    method: GET
    auth: none
config_schema:
  type: object
  properties:
    greeting:
      type: string
      default: Hello
  additionalProperties: false
`,
    fixtures: [
      {
        name: 'greets by name',
        request: { method: 'GET', path: `/${id}/hello/Ada` },
        expect: { status: 200, body: { message: 'Hello, Ada!' } },
      },
    ],
    test: `// Unit test of the built module (run: npm run build && npm test), straight on Extism.
// \`plugway plugin test .\` runs it through the real host, with its limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { locate } from '../plugway-tools.mjs';

test('greets by name', async () => {
  const extism = locate('@extism/extism');
  assert.ok(extism, 'npm install here (package.json lists @extism/extism), or set PLUGWAY_ROOT=/path/to/plugway');
  const { default: createPlugin } = await import(pathToFileURL(extism).href);
  const wasm = readFileSync(new URL('../plugin.wasm', import.meta.url));
  const plugin = await createPlugin({ wasm: [{ data: wasm }], config: { greeting: 'Hi' } }, { useWasi: false });
  try {
    const req = { id: 't', method: 'GET', path: '/${id}/hello/Ada', params: { name: 'Ada' }, query: {}, headers: {}, context: {} };
    const out = await plugin.call('handle_request', JSON.stringify(req));
    const res = JSON.parse(out.text());
    assert.equal(res.statusCode, 200);
    assert.equal(res.body.message, 'Hi, Ada!');
  } finally {
    await plugin.close();
  }
});
`,
  };
}
