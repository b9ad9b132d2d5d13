// Imported first by the wasm thread: drops Node's one-line "WASI is an experimental feature"
// warning, printed by every wasm thread that starts (a swap or a restart starts new ones). plugway
// uses node:wasi only as Extism's WASI shim, never as a sandbox (see docs/runtimes.md). Every other
// warning goes through unchanged.

const original = process.emitWarning;

process.emitWarning = function emitWarning(this: unknown, warning: string | Error, ...rest: unknown[]): void {
  const message = typeof warning === 'string' ? warning : warning.message;
  const opt = rest[0];
  const type = typeof opt === 'string' ? opt : ((opt as { type?: string } | undefined)?.type ?? (typeof warning === 'string' ? undefined : warning.name));
  if (type === 'ExperimentalWarning' && /^WASI\b/.test(message)) return;
  return (original as (...a: unknown[]) => void).call(process, warning, ...rest);
} as typeof process.emitWarning;
