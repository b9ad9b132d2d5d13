// The plugin the process-runtime benchmark runs as a Node child (runtime.command: [node, bench-child.mjs]):
// the process ABI by hand (docs/process-abi.md), with the raw_body feature, answering as bench-plugin.mjs does.
const out = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

function serve(msg) {
  if (msg.type === 'hello') out({ type: 'ready', methods: ['handle_request'], features: ['raw_body'] });
  else if (msg.type === 'call') {
    const body = msg.params[0]?.body;
    out({ type: 'result', id: msg.id, ok: true, value: { status_code: 200, body: { ok: true, n: typeof body === 'string' ? body.length : 0 } } });
  } else if (msg.type === 'ping') out({ type: 'pong', id: msg.id });
}

let buf = Buffer.alloc(0);
/** A call line with raw_body waits here for its body bytes. */
let waiting;
process.stdin.on('data', (chunk) => {
  buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
  for (;;) {
    if (waiting) {
      if (buf.length < waiting.raw_body) return;
      waiting.params[0].body = buf.toString('utf8', 0, waiting.raw_body);
      buf = buf.subarray(waiting.raw_body);
      const msg = waiting;
      waiting = undefined;
      serve(msg);
      continue;
    }
    const nl = buf.indexOf(10);
    if (nl === -1) return;
    const msg = JSON.parse(buf.toString('utf8', 0, nl));
    buf = buf.subarray(nl + 1);
    if (msg.raw_body !== undefined) waiting = msg;
    else serve(msg);
  }
});
