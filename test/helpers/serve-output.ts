// A spawned `plugway serve`'s output: stdout and stderr collected together, and the URL it prints
// once listening (its exit before that rejects with everything it printed).
import type { ChildProcess } from 'node:child_process';

export interface ServeOutput {
  /** The gateway's URL, once it prints `listening on …`. */
  url: Promise<string>;
  /** Everything printed so far, both streams. */
  output(): string;
}

export function serveOutput(child: ChildProcess): ServeOutput {
  let out = '';
  child.stderr?.on('data', (d) => (out += d));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  return { url, output: () => out };
}
