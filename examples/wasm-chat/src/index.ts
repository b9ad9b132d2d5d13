// wasm-chat (AssemblyScript → wasm): WebSocket hooks in the plugway wasm ABI. Each export gets
// {"conn":{…},"data":"…"} (or "dataBase64", or "code" on close) and answers {"actions":[…]}
// (docs/wasm-abi.md#websocket-endpoints). JSON is cut by hand here; use json-as in a real plugin.
import { Host } from '@extism/as-pdk';

export function abortHandler(message: string | null, fileName: string | null, line: u32, column: u32): void {
  Host.outputString('{"actions":[{"op":"close","code":1011}]}');
}

/** The JSON string literal starting at `from` (the opening quote), escapes kept: "" when there is none. */
function literalAt(json: string, from: i32): string {
  if (from < 0 || json.charAt(from) != '"') return '';
  let i = from + 1;
  while (i < json.length) {
    const c = json.charAt(i);
    if (c == '\\') i += 2;
    else if (c == '"') return json.substring(from, i + 1);
    else i++;
  }
  return '';
}

/** The literal of "key":"…" after `after` in `json` (quotes and escapes kept), or "". */
function literalOf(json: string, key: string, after: i32 = 0): string {
  const marker = '"' + key + '":';
  const at = json.indexOf(marker, after);
  return at < 0 ? '' : literalAt(json, at + marker.length);
}

/** The room: the endpoint's {room} parameter. */
function roomOf(input: string): string {
  return literalOf(input, 'room', input.indexOf('"params":'));
}

function answer(actions: string): i32 {
  Host.outputString('{"actions":[' + actions + ']}');
  return 0;
}

export function on_open(): i32 {
  const input = Host.inputString();
  const room = roomOf(input);
  return answer('{"op":"join","room":' + room + '},{"op":"send","data":{"joined":' + room + '}}');
}

export function on_message(): i32 {
  const input = Host.inputString();
  const room = roomOf(input);
  // conn comes first, then the message: the last "data" key is the message's.
  const binary = literalOf(input, 'dataBase64', input.lastIndexOf('"dataBase64":'));
  if (binary.length > 0) return answer('{"op":"send","dataBase64":' + binary + '}');
  const text = literalOf(input, 'data', input.lastIndexOf('"data":'));
  if (text.startsWith('"say ')) return answer('{"op":"broadcast","room":' + room + ',"data":"' + text.substring(5) + '}');
  if (text == '"bye"') return answer('{"op":"send","data":"bye"},{"op":"close","code":4000,"reason":"bye"}');
  return answer('{"op":"send","data":{"echo":' + text + '}}');
}

export function on_close(): i32 {
  const input = Host.inputString();
  const id = literalOf(input, 'id');
  const code = input.substring(input.lastIndexOf('"code":') + 7, input.length - 1);
  return answer('{"op":"broadcast","room":' + roomOf(input) + ',"data":{"left":' + id + ',"code":' + code + '}}');
}
