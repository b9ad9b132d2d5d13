// The docs' ```ts blocks as files: type-checked together by tsc (in a child process, with `plugway`
// and `plugway/sdk` mapped to src/), and written as runnable modules with their imports pointed at
// src/. The files live in <repo>/tmp/ (git-ignored) so that imports of npm packages resolve.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, type Block } from './blocks.js';

export const SCRATCH = join(ROOT, 'tmp', `doc-blocks-${process.pid}`);

const slug = (b: Block, suffix = '') => `${b.file.replace(/[^\w]+/g, '_')}_${b.line}${suffix}.ts`;

/** Imports written relative to the repository root (`./plugins/…`) resolve from `dir`. */
const rootRelative = (code: string, dir: string) => code.replace(/(from\s+|import\()'\.\/(?!\.)/g, `$1'${relative(dir, ROOT)}/`);

export interface TypecheckInput {
  block: Block;
  /** Lines put before the block (declarations of what the block takes for granted, like `ctx`). */
  prelude?: string[];
  /** Text put right before the block's first character (`const target: DiagnosticTarget = `). */
  lead?: string;
}

/** Type-checks the blocks with the project's compiler options; returns errors as `doc:line: message`. */
export async function typecheck(inputs: TypecheckInput[]): Promise<string[]> {
  const dir = join(SCRATCH, 'typecheck');
  mkdirSync(dir, { recursive: true });
  const up = relative(dir, ROOT);
  const where = new Map<string, { block: Block; offset: number }>();
  for (const { block, prelude = [], lead = '' } of inputs) {
    const name = slug(block);
    writeFileSync(join(dir, name), `${prelude.join('\n')}${prelude.length ? '\n' : ''}${lead}${rootRelative(block.body, dir)}`);
    where.set(name, { block, offset: prelude.length });
  }
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: `${up}/tsconfig.json`,
      compilerOptions: {
        noEmit: true,
        rootDir: up,
        declaration: false,
        sourceMap: false,
        paths: { plugway: [`${up}/src/index.ts`], 'plugway/sdk': [`${up}/src/sdk/index.ts`] },
      },
      include: ['*.ts'],
    }),
  );
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.once('error', reject);
    child.once('close', () => resolve(text));
  });
  const errors: string[] = [];
  for (const l of out.split('\n')) {
    if (!l.trim()) continue;
    const m = /([\w.-]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(l);
    const w = m ? where.get(m[1]!) : undefined;
    if (m && w) errors.push(`${w.block.file}:${w.block.line + Number(m[2]) - w.offset}:${m[3]}: ${m[4]}`);
    else if (/error/i.test(l)) errors.push(l);
  }
  return errors;
}

/**
 * Writes a block as a module that can be imported or run with tsx: `plugway` and `plugway/sdk`
 * point at src/, root-relative imports resolve; `edit` makes the run-specific changes (a port).
 */
export function runnable(block: Block, opts: { prelude?: string; append?: string; edit?: (code: string) => string } = {}): string {
  mkdirSync(SCRATCH, { recursive: true });
  let code = rootRelative(block.body, SCRATCH)
    .replace(/from 'plugway'/g, `from '${relative(SCRATCH, join(ROOT, 'src', 'index.js'))}'`)
    .replace(/from 'plugway\/sdk'/g, `from '${relative(SCRATCH, join(ROOT, 'src', 'sdk', 'index.js'))}'`);
  if (opts.edit) {
    const edited = opts.edit(code);
    if (edited === code) throw new Error(`${block.file}:${block.line}: the run-specific edit changed nothing (did the example change?)`);
    code = edited;
  }
  const file = join(SCRATCH, slug(block, '_run'));
  writeFileSync(file, `${opts.prelude ?? ''}${code}${opts.append ?? ''}`);
  return file;
}

export function removeScratch(): void {
  rmSync(SCRATCH, { recursive: true, force: true });
}
