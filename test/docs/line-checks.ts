// How a documented command line is judged when it runs: its exit status, the output its comments show
// (`# {"message":"…"}`, `# 503 PLW_ERR_…`), no undocumented error code, then the line's own check.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { CommandLine } from './blocks.js';
import { key, RUN, SHOWN_NOT_RUN, shellBlock } from './inventory.js';
import type { LineResult, ShellSession } from './shell.js';

export type Check = (r: LineResult, s: ShellSession) => void | Promise<void>;
export interface LineSpec {
  check?: Check;
  /** Whether these PIPESTATUS values are a success (default: all 0). */
  ok?: (status: number[]) => boolean;
  /** Runs before the line (what the reader did between two lines, like editing a file). */
  before?: (s: ShellSession) => void | Promise<void>;
}

/** `…` in a documented output matches anything; objects must have exactly the documented keys. */
export function assertShape(actual: unknown, expected: unknown, path = '$'): void {
  if (expected === '…') return;
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: an array`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => assertShape(actual[i], e, `${path}[${i}]`));
  } else if (expected && typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object', `${path}: an object`);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${path}: keys`);
    for (const [k, v] of Object.entries(expected)) assertShape((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else assert.deepEqual(actual, expected, path);
}

export const asJson = (r: LineResult): any => {
  try {
    return JSON.parse(r.stdout);
  } catch {
    assert.fail(`${r.ran}: stdout is not JSON:\n${r.stdout}\n${r.stderr}`);
  }
};

export function genericChecks(line: CommandLine, r: LineResult, spec: LineSpec): void {
  const ok = spec.ok ?? ((st) => st.every((x) => x === 0));
  assert.ok(ok(r.status), `${line.block.file}:${line.line}: \`${r.ran}\` exited ${r.status.join('|')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const shown = line.output.join('\n');
  if (/^[[{]/.test(shown)) assertShape(asJson(r), JSON.parse(shown));
  const documented: string[] = (line.comment ?? '').match(/PLW_ERR_[A-Z_]+/g) ?? [];
  for (const code of documented) assert.match(`${r.stdout}${r.stderr}`, new RegExp(code), `${line.block.file}:${line.line}: the comment says ${code}`);
  // an error nobody documented is a broken example, even when the exit code is 0 (curl)
  const errors = `${r.stdout}\n${r.stderr}`.match(/PLW_ERR_[A-Z_]+/g) ?? [];
  for (const code of errors) assert.ok(documented.includes(code), `${line.block.file}:${line.line}: \`${r.ran}\` answered ${code}\n${r.stdout}\n${r.stderr}`);
}

export async function runLines(t: TestContext, s: ShellSession, lines: CommandLine[], specs: Record<string, LineSpec>): Promise<Map<string, LineResult>> {
  const results = new Map<string, LineResult>();
  const known = new Set(lines.map((l) => key(l.block.file, l.command)));
  for (const k of Object.keys(specs)) assert.ok(known.has(k), `a check names a line the block no longer has: ${k}`);
  for (const line of lines) {
    const k = key(line.block.file, line.command);
    if (SHOWN_NOT_RUN[k]) continue;
    const spec = specs[k] ?? {};
    await t.test(`${line.block.file}:${line.line} ${line.command}`, async () => {
      await spec.before?.(s);
      const r = await s.run(line);
      results.set(k, r);
      genericChecks(line, r, spec);
      await spec.check?.(r, s);
    });
  }
  return results;
}

export function runBlock(t: TestContext, s: ShellSession, file: string, first: string, specs: Record<string, LineSpec> = {}) {
  assert.ok(
    RUN.some(([f, c]) => f === file && c === first),
    `${file} » ${first} is declared in RUN`,
  );
  return runLines(t, s, shellBlock(file, first), specs);
}

export const at = (file: string, specs: Record<string, LineSpec>) => Object.fromEntries(Object.entries(specs).map(([c, v]) => [key(file, c), v]));
export const request = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) };
};
export const setVersion = (dir: string, version: string) => {
  const file = join(dir, 'plugin.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^version: .*$/m, `version: ${version}`));
};
