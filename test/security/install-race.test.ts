// Item 5 of issue 23: `plugin install` reads the package once. The package here is a named pipe that
// gives the signed package to its first reader and an unsigned one (with a consistent integrity.json)
// to every later reader: the file swapped between the reads, deterministically. Only the signed
// code may end up installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { installPlugin } from '../../src/toolkit/install.js';
import { writeIntegrity } from '../../src/toolkit/integrity.js';
import { generateSigningKeys, parsePublicKey, signPackage, signaturePath } from '../../src/toolkit/signing.js';

async function pack(work: string, name: string, code: string): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'plugin.yaml'), 'id: raced\nversion: 1.0.0\nkind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\nendpoints:\n  - path: /raced\n    method: GET\n');
  writeFileSync(join(dir, 'index.mjs'), code);
  writeIntegrity(dir, ['plugin.yaml', 'index.mjs']);
  const file = join(work, `${name}.tgz`);
  await tar.c({ gzip: true, file, cwd: dir, portable: true }, ['plugin.yaml', 'index.mjs', 'integrity.json']);
  return file;
}

test('a package swapped between the signature check and the extraction never installs the unsigned bytes', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'plugway-race-'));
  const keys = generateSigningKeys();
  const good = await pack(work, 'good', "export default { handleRequest() { return { statusCode: 200, body: 'signed' }; } };\n");
  const evil = await pack(work, 'evil', "export default { handleRequest() { return { statusCode: 200, body: 'EVIL' }; } };\n");
  const fifo = join(work, 'raced-1.0.0.tgz');
  execFileSync('mkfifo', [fifo]);
  // The signature is for the good bytes, next to the pipe as <pkg>.sig.
  signPackage(good, keys.privatePem);
  writeFileSync(signaturePath(fifo), readFileSync(signaturePath(good)));
  // Each reader gets one whole package: the next one is written only once the previous reader has
  // closed the pipe (a non-blocking open for writing fails with ENXIO when nobody reads).
  const writerScript = `
    const fs = require('node:fs');
    const [fifo, good, evil] = process.argv.slice(1);
    const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    for (let i = 0; ; i++) {
      const fd = fs.openSync(fifo, 'w');
      try { fs.writeSync(fd, fs.readFileSync(i === 0 ? good : evil)); } catch {}
      fs.closeSync(fd);
      for (;;) {
        let probe;
        try { probe = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK); } catch { break; }
        fs.closeSync(probe);
        sleep(2);
      }
    }`;
  const writer = spawn(process.execPath, ['-e', writerScript, fifo, good, evil], { stdio: 'ignore', detached: true });
  t.after(() => {
    try {
      process.kill(-writer.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });

  const plugins = join(work, 'plugins');
  let installed: string | undefined;
  try {
    const r = await installPlugin(fifo, { pluginsDir: plugins, trustedKeys: [parsePublicKey(keys.publicPem)] });
    installed = readFileSync(join(r.path, 'index.mjs'), 'utf8');
  } catch (err) {
    // Refusing is acceptable; installing the other bytes is not.
    t.diagnostic(`refused: ${(err as Error).message}`);
  }
  const onDisk = existsSync(join(plugins, 'raced', 'index.mjs')) ? readFileSync(join(plugins, 'raced', 'index.mjs'), 'utf8') : undefined;
  assert.doesNotMatch(onDisk ?? '', /EVIL/, 'unsigned code was installed');
  assert.match(installed ?? '', /signed/, 'the signed package, read once, is what gets installed');
});
