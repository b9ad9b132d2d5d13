// `plugway plugin test` for a Python plugin: its test_*.py files run first, with Python's unittest
// (no pytest) and plugway's SDK on the path, as the plugin's own unit tests.

import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { delimiter } from 'node:path';
import { pythonPath, pythonSdkDir } from '../runtimes/process/command.js';

/** Whether `dir` holds Python unit tests (test_*.py or *_test.py at its top level). */
export function hasPythonTests(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => /^test_.*\.py$|_test\.py$/.test(f));
  } catch {
    return false;
  }
}

/** Runs them; ok with unittest's summary line, or the failures' output. */
export function runPythonTests(dir: string, timeoutMs = 120_000): Promise<{ ok: boolean; detail: string }> {
  const python = pythonPath();
  if (!python) return Promise.resolve({ ok: false, detail: 'python3 was not found (install python3, or set PLUGWAY_PYTHON)' });
  return new Promise((resolve) => {
    const child = spawn(python, ['-B', '-m', 'unittest', 'discover', '-s', '.', '-p', 'test_*.py'], {
      cwd: dir,
      env: { ...process.env, PYTHONPATH: [pythonSdkDir(), dir, process.env.PYTHONPATH].filter(Boolean).join(delimiter), PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = out.trim().split('\n');
      const ran = lines.find((l) => /^Ran \d+ tests?/.test(l)) ?? '';
      if (code === 0) resolve({ ok: true, detail: `${ran} (unittest): OK` });
      else resolve({ ok: false, detail: signal ? `killed after ${timeoutMs} ms` : `${ran}: ${lines.slice(-25).join('\n')}` });
    });
  });
}
