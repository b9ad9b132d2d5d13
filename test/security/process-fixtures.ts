// Hostile process plugins (Python), written into a folder for `plugway serve`: each tries one way
// out of its sandbox or one way to take the gateway down.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

interface HostileSpec {
  yaml: string;
  files: Record<string, string>;
}

const manifest = (id: string, paths: string[], extra = '') =>
  `id: ${id}\nversion: 1.0.0\nkind: handler\nruntime:\n  type: process\n  entry: plugin.py\n${extra}endpoints:\n${paths.map((p) => `  - path: ${p}\n    method: GET\n`).join('')}`;

/** A plugin that speaks the ABI by hand (no SDK), then misbehaves on its first call. */
const raw = (onCall: string) => `import json, os, sys
out = sys.stdout.buffer
sys.stdin.buffer.readline()
out.write(b'{"type":"ready","methods":["handle_request"]}\\n'); out.flush()
for line in sys.stdin.buffer:
    msg = json.loads(line)
    if msg["type"] == "call":
${onCall}
`;

export function hostilePlugins(opts: { fetchPort: number }): Record<string, HostileSpec> {
  return {
    // files, the network, the environment: each attempt raises inside the sandbox
    'hostile-misc': {
      yaml: manifest('hostile-misc', ['/hp/read', '/hp/connect', '/hp/env', '/hp/big'], 'resources:\n  timeout: 30s\n'),
      files: {
        'plugin.py': `import os, socket
def handle_request(req, ctx):
    if req.path == "/hp/read":
        with open(req.query["path"], "rb") as f:
            return {"status_code": 200, "body": f.read(200).decode("latin-1")}
    if req.path == "/hp/connect":
        s = socket.create_connection(("127.0.0.1", int(req.query["port"])), timeout=1)
        s.close()
        return {"status_code": 200, "body": "connected"}
    if req.path == "/hp/env":
        return {"status_code": 200, "body": os.environ["PLUGWAY_ADMIN_TOKEN"]}
    if req.path == "/hp/big":
        return {"status_code": 200, "body": "x" * (50 * 1024 * 1024)}
`,
      },
    },
    'hostile-fork': {
      yaml: manifest('hostile-fork', ['/hp/fork'], 'resources:\n  timeout: 1500ms\n  pids: 16\n'),
      files: { 'plugin.py': 'import os\ndef handle_request(req, ctx):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n' },
    },
    'hostile-spin': {
      yaml: manifest('hostile-spin', ['/hp/spin'], 'resources:\n  timeout: 4s\n  cpu: 0.1\n'),
      files: { 'plugin.py': 'def handle_request(req, ctx):\n    while True:\n        pass\n' },
    },
    'hostile-mem': {
      yaml: manifest('hostile-mem', ['/hp/mem'], 'resources:\n  timeout: 10s\n  memory: 48\n'),
      files: { 'plugin.py': 'def handle_request(req, ctx):\n    hoard = []\n    while True:\n        hoard.append(b"x" * (8 * 1024 * 1024))\n' },
    },
    'hostile-exit': {
      yaml: manifest('hostile-exit', ['/hp/exit']),
      files: { 'plugin.py': 'import os, threading\nthreading.Timer(0.4, os._exit, [1]).start()\ndef handle_request(req, ctx):\n    return {"status_code": 200}\n' },
    },
    'hostile-stdout': {
      yaml: manifest('hostile-stdout', ['/hp/close'], 'resources:\n  timeout: 1500ms\n'),
      files: { 'plugin.py': 'import os, time\ndef handle_request(req, ctx):\n    os.closerange(0, 1024)\n    time.sleep(60)\n' },
    },
    'hostile-big-raw': {
      yaml: `id: hostile-big-raw\nversion: 1.0.0\nkind: handler\nruntime:\n  type: process\n  command: [python3, raw.py]\nresources:\n  timeout: 10s\nendpoints:\n  - path: /hp/big-raw\n    method: GET\n`,
      files: {
        'raw.py': raw(
          '        out.write(b\'{"type":"result","id":\' + str(msg["id"]).encode() + b\',"ok":true,"value":{"status_code":200,"body":"\' + b"x" * (50 * 1024 * 1024) + b\'"}}\\n\'); out.flush()',
        ),
      },
    },
    'hostile-garbage': {
      yaml: `id: hostile-garbage\nversion: 1.0.0\nkind: handler\nruntime:\n  type: process\n  command: [python3, raw.py]\nendpoints:\n  - path: /hp/garbage\n    method: GET\n`,
      files: { 'raw.py': raw('        out.write(b"Traceback? no: just some garbage on stdout\\n"); out.flush()') },
    },
    fetcher: {
      yaml: manifest('fetcher', ['/hp/fetch'], `permissions:\n  network: ["127.0.0.1:${opts.fetchPort}"]\n`),
      files: { 'plugin.py': 'def handle_request(req, ctx):\n    r = ctx.fetch(req.query["url"])\n    return {"status_code": 200, "body": {"status": r.status, "text": r.text}}\n' },
    },
  };
}

export async function writeHostilePlugins(dir: string, opts: { fetchPort: number }): Promise<void> {
  for (const [name, spec] of Object.entries(hostilePlugins(opts))) {
    await mkdir(join(dir, name), { recursive: true });
    await writeFile(join(dir, name, 'plugin.yaml'), spec.yaml);
    for (const [file, text] of Object.entries(spec.files)) {
      await writeFile(join(dir, name, file), text);
      await chmod(join(dir, name, file), 0o644);
    }
  }
}
