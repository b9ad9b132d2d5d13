#!/usr/bin/env node
// Two clients, ada and grace, on one live-collaboration document: each types a line, each sees the
// other's edit. Each keeps its copy by applying the edits the server sends back, in version order.
//   node examples/veza/collab-demo.mjs [ws://127.0.0.1:8080/collab/docs/demo/live]
import WebSocket from 'ws';

const url = process.argv[2] ?? 'ws://127.0.0.1:8080/collab/docs/demo/live';

function apply(text, e) {
  return e.op === 'insert' ? text.slice(0, e.pos) + e.text + text.slice(e.pos) : text.slice(0, e.pos) + text.slice(e.pos + e.len);
}

/** Opens a client; resolves once it has the document's snapshot. */
function client(name) {
  const ws = new WebSocket(`${url}?user=${name}`);
  const c = { name, text: '', version: 0, seen: [], waiters: new Set() };
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw));
    if (m.type === 'snapshot' || m.type === 'resync') Object.assign(c, { text: m.text, version: m.version });
    else if (m.type === 'edit') {
      Object.assign(c, { text: apply(c.text, m), version: m.version });
      c.seen.push(`${m.by}'s ${m.op} (version ${m.version})`);
    } else if (m.type === 'error') console.error(`${name} got an error: ${m.code} ${m.message}`);
    for (const w of c.waiters) w();
    if (m.type === 'snapshot') c.opened();
  });
  c.type = (text) => ws.send(JSON.stringify({ type: 'edit', base: c.version, op: 'insert', pos: c.text.length, text }));
  c.reaches = (version) =>
    new Promise((resolve) => {
      const check = () => c.version >= version && (c.waiters.delete(check), resolve());
      c.waiters.add(check);
      check();
    });
  c.close = () => new Promise((resolve) => (ws.once('close', resolve), ws.close()));
  return new Promise((resolve, reject) => {
    c.opened = () => resolve(c);
    ws.once('error', (err) => reject(new Error(`${url}: ${err.message}`)));
  });
}

const ada = await client('ada');
const grace = await client('grace');
ada.type(`${ada.text ? '\n' : ''}Ada: the chorus needs a bridge.`);
await Promise.all([ada.reaches(ada.version + 1), grace.reaches(ada.version + 1)]);
grace.type('\nGrace: adding strings under it.');
await Promise.all([ada.reaches(grace.version + 1), grace.reaches(grace.version + 1)]);
for (const c of [ada, grace]) console.log(`${c.name} saw ${c.seen.join(', ')}; has version ${c.version}:\n${c.text.replace(/^/gm, '  ')}`);
await Promise.all([ada.close(), grace.close()]);
if (ada.text !== grace.text) {
  console.error('the two copies differ');
  process.exit(1);
}
