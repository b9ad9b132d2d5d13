// The plugin the process-runtime benchmark runs as a Node child (runtime.command: [node, bench-child.mjs]):
// the process ABI by hand (docs/process-abi.md), answering as bench-plugin.mjs does.
import { createInterface } from 'node:readline';

const out = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);
createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', (line) => {
  const msg = JSON.parse(line);
  if (msg.type === 'hello') out({ type: 'ready', methods: ['handle_request'] });
  else if (msg.type === 'call') {
    const body = msg.params[0]?.body;
    out({ type: 'result', id: msg.id, ok: true, value: { status_code: 200, body: { ok: true, n: typeof body === 'string' ? body.length : 0 } } });
  } else if (msg.type === 'ping') out({ type: 'pong', id: msg.id });
});
