// ai-recommendations (AssemblyScript → wasm): the plugway wasm ABI with @extism/as-pdk.
// handle_request gets the PluginRequest as JSON and returns the PluginResponse as JSON; the
// host's key-value storage and event bus are reached through plugway's host functions.
import { Config, Host, Memory } from '@extism/as-pdk';

@external('extism:host/user', 'plugway_kv_get')
declare function kvGet(key: u64): u64;
@external('extism:host/user', 'plugway_kv_set')
declare function kvSet(key: u64, value: u64): void;
@external('extism:host/user', 'plugway_emit')
declare function emit(type: u64, data: u64): void;
@external('extism:host/user', 'plugway_log')
declare function plwLog(msg: u64): void;
@external('extism:host/env', 'length')
declare function extismLength(offset: u64): u64;

export function abortHandler(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let m = 'abort';
  if (message !== null) m = message;
  Host.outputString('{"statusCode":500,"body":{"error":"' + m + '"}}');
}

/** The stored text, or "" when the key is absent. */
function storageGet(key: string): string {
  const off = kvGet(Memory.allocateString(key).offset);
  if (off == 0) return '';
  return new Memory(off, extismLength(off)).toString();
}

function storageSet(key: string, value: string): void {
  kvSet(Memory.allocateString(key).offset, Memory.allocateString(value).offset);
}

function log(msg: string): void {
  plwLog(Memory.allocateString('{"level":"info","msg":"' + msg + '"}').offset);
}

/** The string value of "key":"…" in a JSON text, or "" (enough for this example; use json-as in real plugins). */
function jsonString(json: string, key: string): string {
  const marker = '"' + key + '":"';
  const at = json.indexOf(marker);
  if (at < 0) return '';
  const start = at + marker.length;
  const end = json.indexOf('"', start);
  if (end < 0) return '';
  return json.substring(start, end);
}

function configString(key: string, fallback: string): string {
  const v = Config.get(key);
  if (v == null) return fallback;
  return v;
}

function respond(status: i32, body: string): i32 {
  Host.outputString('{"statusCode":' + status.toString() + ',"headers":{"content-type":"application/json"},"body":' + body + '}');
  return 0;
}

function recordActivity(path: string, reqJson: string): i32 {
  // /…/users/{user_id}/activity
  const parts = path.split('/');
  if (parts.length < 3) return respond(400, '{"error":"bad path"}');
  const user = parts[parts.length - 2];
  const bodyAt = reqJson.indexOf('"body":');
  let track = '';
  if (bodyAt >= 0) track = jsonString(reqJson.substring(bodyAt), 'track');
  if (track.length == 0) return respond(400, '{"error":"send {\\"track\\":\\"ID\\"}"}');
  const key = 'history:' + user;
  const before = storageGet(key);
  let history = track;
  if (before.length > 0) history = before + ',' + track;
  storageSet(key, history);
  // The Veza domain event the other plugins count (gamification's points, advanced-analytics' plays).
  emit(Memory.allocateString('track.played').offset, Memory.allocateString('{"user":"' + user + '","track":"' + track + '"}').offset);
  log('activity recorded for ' + user);
  return respond(202, '{"user":"' + user + '","recorded":"' + track + '"}');
}

function recommend(reqJson: string): i32 {
  const queryAt = reqJson.indexOf('"query":');
  let user = '';
  if (queryAt >= 0) user = jsonString(reqJson.substring(queryAt), 'user');
  if (user.length == 0) return respond(400, '{"error":"pass ?user=ID"}');
  const stored = storageGet('history:' + user);
  let heard = new Array<string>();
  if (stored.length > 0) heard = stored.split(',');
  const catalog = configString('catalog', 't1,t2,t3').split(',');
  const limit = I32.parseInt(configString('limit', '3'));
  let out = '';
  let n = 0;
  for (let i = 0; i < catalog.length && n < limit; i++) {
    if (heard.includes(catalog[i])) continue;
    out += (n > 0 ? ',' : '') + '"' + catalog[i] + '"';
    n++;
  }
  return respond(200, '{"user":"' + user + '","recommendations":[' + out + '],"heard":' + heard.length.toString() + '}');
}

export function handle_request(): i32 {
  const req = Host.inputString();
  const method = jsonString(req, 'method');
  const path = jsonString(req, 'path');
  if (method.length == 0 || path.length == 0) return respond(400, '{"error":"not a PluginRequest"}');
  if (method == 'POST' && path.endsWith('/activity')) return recordActivity(path, req);
  if (method == 'GET') return recommend(req);
  return respond(404, '{"error":"no such route"}');
}

export function health_check(): i32 {
  Host.outputString('{"status":"healthy"}');
  return 0;
}

/** Extism's classic example, unchanged in spirit: raw text in, JSON out. */
export function count_vowels(): i32 {
  const str = Host.inputString();
  let count = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charAt(i).toLowerCase();
    if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') count++;
  }
  Host.outputString('{"count":' + count.toString() + ',"total":' + count.toString() + ',"vowels":"aeiouAEIOU"}');
  return 0;
}
