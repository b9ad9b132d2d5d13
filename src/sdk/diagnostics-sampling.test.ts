// Sampling over a window: the number and order of reads, the options' and the config's window,
// and what a stopping plugin (an aborted ctx.signal) does to a diagnosis in its window.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleOverWindow, samplingWindow } from './diagnostics-sampling.js';

test('samplingWindow: the options win over the config; at least 2 samples, a window of at least 0', () => {
  assert.deepEqual(samplingWindow({}, { window: '5s', samples: 3 }), { windowMs: 5000, samples: 3 });
  assert.deepEqual(samplingWindow({ windowMs: 200, samples: 4.7 }, { window: '5s', samples: 3 }), { windowMs: 200, samples: 4 });
  assert.deepEqual(samplingWindow({ windowMs: -1, samples: 1 }, { window: 100, samples: 3 }), { windowMs: 0, samples: 2 });
});

test('sampleOverWindow: `samples` reads in order, the first at once', async () => {
  const reads = await sampleOverWindow(async (i) => i, { windowMs: 0, samples: 4 });
  assert.deepEqual(reads, [0, 1, 2, 3]);
  assert.deepEqual(await sampleOverWindow(async (i) => i, { windowMs: 0, samples: 1 }), [0, 1]);
});

test('sampleOverWindow: an abort in the window rejects with PLW_ERR_DIAG_CONNECT, or with onAbort "finish" takes the rest at once', async () => {
  const ac = new AbortController();
  const taken: number[] = [];
  const failing = sampleOverWindow(
    async (i) => {
      taken.push(i);
      if (i === 0) queueMicrotask(() => ac.abort());
      return i;
    },
    { windowMs: 60_000, samples: 3, signal: ac.signal },
  );
  await assert.rejects(failing, { code: 'PLW_ERR_DIAG_CONNECT', message: 'The diagnosis was aborted: the plugin is stopping' });
  assert.deepEqual(taken, [0]);

  const ac2 = new AbortController();
  const finished = await sampleOverWindow(
    async (i) => {
      if (i === 0) queueMicrotask(() => ac2.abort());
      return i;
    },
    { windowMs: 60_000, samples: 3, signal: ac2.signal, onAbort: 'finish' },
  );
  assert.deepEqual(finished, [0, 1, 2]);

  const already = AbortSignal.abort();
  await assert.rejects(
    sampleOverWindow(async (i) => i, { windowMs: 0, samples: 2, signal: already }),
    { code: 'PLW_ERR_DIAG_CONNECT' },
  );
});
