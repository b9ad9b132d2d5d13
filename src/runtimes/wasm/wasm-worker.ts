// Runs inside a plugway worker: instantiates a wasm plugin with Extism in-process (no Extism
// worker: calls stay ~µs) and serves the plugin ABI; host functions reach the main thread through
// the blocking bridge. A stuck module is ended from the main thread by terminating this thread.

import './quiet-wasi.js';
import type { CallContext, Plugin } from '@extism/extism';
import { WorkerSide } from '../worker/worker-side.js';
import { endpointFunction, METHOD_EXPORTS, rawInput, implementedMethods, websocketAnswer, websocketInput } from './abi.js';
import { egressDenial } from '../fetch-policy.js';
import { Wasm } from './wasm-api.js';
import { InputKernel, KERNEL_NAMESPACE } from './kernel.js';
import type { WasmInstance, WasmModule } from './wasm-api.js';
import type { EndpointSpec } from '../../manifest/types.js';
import type { PluginRequest, PluginResponse } from '../../sdk/types.js';

// Imported after quiet-wasi.js has run: a static import would link node:wasi (and print its warning) first.
const { default: createPlugin } = await import('@extism/extism');

// A long request body stays UTF-8 bytes from the ring to the module's input (kernel.ts).
const side = new WorkerSide({ textAsBytes: true });
const { boot } = side;
const extra = boot.extra as {
  module: WasmModule;
  config: Record<string, string>;
  network: string[];
  /** runtimes.fetch.allowed_hosts: the operator's cap on `network`. */
  operatorHosts?: string[];
  endpoints: EndpointSpec[];
  capPages: number;
  useWasi: boolean;
  /** Extism's memory options, derived from resources.memory by the runtime (index.ts). */
  memory: { maxPages: number; maxVarBytes: number; maxHttpResponseBytes: number };
  /** The input kernel, when the module's input imports were linked to it (kernel.ts). */
  kernel?: { module: WasmModule; extismNeedsInput: boolean };
};
const log = side.logger({ instance: boot.instance });
const coded = (code: string, params: Record<string, unknown>, message: string) => Object.assign(new Error(message), { code, params });

let plugin: Plugin;
let kernel: InputKernel | undefined;
let broken = false;
/** A coded failure of a host function in this call (a denied host, a fetch over its limit): a trap hides it otherwise. */
let hostFnError: { code: string; params: Record<string, unknown>; message: string } | undefined;
let lastStatus = 0;
const lifecycleDone: string[] = [];

const text = (cc: CallContext, addr: bigint) => cc.read(addr)?.text() ?? '';

// Extism keeps the blocks a module allocates (extism:host/env alloc) as ArrayBuffers on the host,
// outside the module's linear memory and outside V8's heap limit; its own `maxPages` check runs
// after the buffer is allocated and keeps it. So every block is charged here, before it exists:
// past the cap the call fails (PLW_ERR_WASM_HOST_MEMORY_LIMIT). Blocks live until the next call
// (Extism resets them when a call starts); a block the module frees is credited back when the
// running total reaches the cap and the live blocks are counted again.
const hostCapBytes = extra.memory.maxPages * 65536;
/** What a block costs besides its bytes (the Block and ArrayBuffer objects): a flood of empty blocks is charged too. */
const BLOCK_OVERHEAD = 128;
let hostCharged = 0;
let hostBlocks: Array<[addr: bigint, bytes: number]> = [];
let hostLimitHit = false;

function chargeHost(cc: CallContext, bytes: number): void {
  const cost = bytes + BLOCK_OVERHEAD;
  if (hostCharged + cost > hostCapBytes) {
    // Count again what is still live: freed blocks read as length 0.
    hostBlocks = hostBlocks.filter(([addr, n]) => n === 0 || cc.length(addr) !== 0n);
    hostCharged = hostBlocks.reduce((sum, [, n]) => sum + n + BLOCK_OVERHEAD, 0);
  }
  if (hostCharged + cost > hostCapBytes) {
    hostLimitHit = true;
    throw new Error(`Extism host memory limit: ${bytes} more bytes with ${hostCharged} in use, above ${hostCapBytes}`);
  }
  hostCharged += cost;
}

function allocHost(cc: CallContext, size: bigint | number): bigint {
  const bytes = Number(size);
  chargeHost(cc, bytes);
  const addr = cc.alloc(bytes);
  if (addr === 0n) {
    // Extism's own maxPages check (it counts the call's input too) refused it.
    hostLimitHit = true;
    throw new Error(`Extism host memory limit: ${bytes} bytes refused`);
  }
  hostBlocks.push([addr, bytes]);
  return addr;
}

/** cc.store for host-function results, charged like a module's own blocks. */
function storeHost(cc: CallContext, data: string | Uint8Array): bigint {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const addr = allocHost(cc, bytes.byteLength);
  const block = cc.read(addr);
  // read() views the block's own buffer (an ArrayBuffer on this thread, not a copy).
  if (block && bytes.byteLength) new Uint8Array(block.arrayBuffer()).set(bytes);
  return addr;
}

const functions = {
  'extism:host/user': {
    plugway_log(cc: CallContext, addr: bigint) {
      const raw = text(cc, addr);
      try {
        const o = JSON.parse(raw) as { level?: string; msg?: string; [k: string]: unknown };
        const { level = 'info', msg = '', ...fields } = o;
        const fn = (log as unknown as Record<string, (o: unknown, m?: string) => void>)[level] ?? log.info;
        fn(fields, msg);
      } catch {
        log.info(raw);
      }
    },
    plugway_kv_get(cc: CallContext, keyAddr: bigint): bigint {
      const v = side.bridgeSync('storage.get', [text(cc, keyAddr)]);
      if (v === undefined || v === null) return 0n;
      return storeHost(cc, typeof v === 'string' ? v : JSON.stringify(v));
    },
    plugway_kv_set(cc: CallContext, keyAddr: bigint, valueAddr: bigint) {
      side.bridgeSync('storage.set', [text(cc, keyAddr), text(cc, valueAddr)]);
    },
    plugway_kv_delete(cc: CallContext, keyAddr: bigint): number {
      return side.bridgeSync('storage.delete', [text(cc, keyAddr)]) ? 1 : 0;
    },
    plugway_emit(cc: CallContext, typeAddr: bigint, dataAddr: bigint) {
      const raw = text(cc, dataAddr);
      let data: unknown = raw;
      try {
        data = JSON.parse(raw);
      } catch {
        /* plain text event data */
      }
      side.bridgeSync('events.emit', [text(cc, typeAddr), data]);
    },
  },
  // Extism's own HTTP import (what every PDK's Http.request calls), served with our allow-list.
  'extism:host/env': {
    alloc: allocHost,
    http_request(cc: CallContext, reqAddr: bigint, bodyAddr: bigint): bigint {
      lastStatus = 0;
      const spec = cc.read(reqAddr)?.json() as { url: string; method?: string; headers?: Record<string, string>; header?: Record<string, string> };
      const url = new URL(spec.url);
      const denial = egressDenial(boot.pluginId, url, extra.network, { allowedHosts: extra.operatorHosts ?? ['*'] });
      if (denial) {
        hostFnError = { code: denial.code, params: { id: boot.pluginId, host: String(denial.params.host) }, message: `HTTP to ${url.host} denied` };
        throw new Error(`HTTP to ${url.host} is not allowed`);
      }
      const method = (spec.method ?? 'GET').toUpperCase();
      const body = bodyAddr === 0n || method === 'GET' || method === 'HEAD' ? undefined : cc.read(bodyAddr)?.bytes();
      let res: { status: number; body: string };
      try {
        res = side.bridgeSync('http.fetch', [{ url: spec.url, method, headers: spec.headers ?? spec.header ?? {}, ...(body ? { body: Buffer.from(body).toString('base64') } : {}) }]) as {
          status: number;
          body: string;
        };
      } catch (err) {
        const e = err as { code?: string; params?: Record<string, unknown>; message?: string };
        if (e.code) hostFnError = { code: e.code, params: e.params ?? { id: boot.pluginId }, message: e.message ?? e.code };
        throw err;
      }
      lastStatus = res.status;
      return storeHost(cc, new Uint8Array(Buffer.from(res.body, 'base64')));
    },
    http_status_code(): number {
      return lastStatus;
    },
  },
};

const logLevel = (['trace', 'debug', 'info', 'warn', 'error'] as const).includes(boot.logLevel as 'info') ? (boot.logLevel as 'info') : 'info';

async function instantiate(): Promise<Plugin> {
  const consoleLike = {
    trace: (m: unknown) => log.trace(String(m)),
    debug: (m: unknown) => log.debug(String(m)),
    info: (m: unknown) => log.info(String(m)),
    log: (m: unknown) => log.info(String(m)),
    warn: (m: unknown) => log.warn(String(m)),
    error: (m: unknown) => log.error(String(m)),
  } as unknown as Console;
  const options = { useWasi: extra.useWasi, runInWorker: false, functions, logger: consoleLike, logLevel, allowedPaths: {}, memory: extra.memory };
  const k = extra.kernel;
  if (!k) return createPlugin({ wasm: [{ module: extra.module as never }], config: extra.config }, options);
  const wasm = [
    { module: k.module as never, name: KERNEL_NAMESPACE },
    { module: extra.module as never, name: 'main' },
  ];
  const [made, inputKernel] = await InputKernel.instantiate(k.module, () => createPlugin({ wasm, config: extra.config }, options));
  kernel = inputKernel;
  return made;
}

/** A call's input: text, bytes, or a value sent as JSON (with the key of a long string in it, the request body). */
type CallInput = string | Uint8Array | { json: unknown; longKey?: string };

/** What Extism gets as the call's input; the kernel, when linked, holds it for the module's reads. */
function extismInput(input: CallInput): string | Uint8Array {
  if (!kernel) return typeof input === 'object' && !(input instanceof Uint8Array) ? (JSON.stringify(input.json) ?? '') : input;
  if (typeof input === 'object' && !(input instanceof Uint8Array)) kernel.setJson(input.json, input.longKey);
  else kernel.set(input);
  // A module that reads only through the kernel needs no second copy in Extism's input block.
  return extra.kernel!.extismNeedsInput ? kernel.copy() : new Uint8Array(0);
}

function memoryBytes(instance: WasmInstance | undefined): number {
  const mem = instance?.exports.memory;
  return mem instanceof Wasm.Memory ? mem.buffer.byteLength : 0;
}

async function callExport(method: string, name: string, input: CallInput): Promise<Uint8Array | undefined> {
  if (broken) {
    // A trap can leave the module's memory inconsistent: start from a fresh instance.
    await plugin.close().catch(() => undefined);
    plugin = await instantiate();
    broken = false;
    for (const step of lifecycleDone) await plugin.call(step, extismInput(''));
  }
  hostFnError = undefined;
  hostLimitHit = false;
  hostCharged = 0;
  hostBlocks = [];
  try {
    const out = await plugin.call(name, extismInput(input));
    if (!out) return undefined;
    const size = (out as unknown as DataView).byteLength;
    if (size > boot.maxResponseBytes) {
      throw coded('PLW_ERR_RESPONSE_TOO_LARGE', { id: boot.pluginId, method, size, limit: boot.maxResponseBytes }, 'response too large');
    }
    return out.bytes();
  } catch (err) {
    if ((err as { code?: string }).code) throw err;
    broken = true;
    if (hostLimitHit) {
      throw coded('PLW_ERR_WASM_HOST_MEMORY_LIMIT', { id: boot.pluginId, method, limitMb: Math.round(hostCapBytes / 1048576) }, err instanceof Error ? err.message : String(err));
    }
    const hostErr = hostFnError as { code: string; params: Record<string, unknown>; message: string } | undefined;
    if (hostErr) throw coded(hostErr.code, hostErr.params, hostErr.message);
    const reason = err instanceof Error ? err.message : String(err);
    const used = memoryBytes((await plugin.getInstance().catch(() => undefined)) as WasmInstance | undefined);
    const capBytes = extra.capPages * 65536;
    // memory.grow fails silently (-1) at the declared maximum; the module then traps or aborts.
    // Near the cap, that is the likely cause: report it as the memory limit.
    if (used >= capBytes / 2 || /out of memory|memory/i.test(reason)) {
      throw coded('PLW_ERR_WASM_MEMORY_LIMIT', { id: boot.pluginId, method, limitMb: Math.round(capBytes / 1048576), usedMb: Math.round(used / 1048576) }, reason);
    }
    throw coded('PLW_ERR_WASM_TRAP', { id: boot.pluginId, method, reason }, reason);
  }
}

const decoder = new TextDecoder();

function toResponse(bytes: Uint8Array | undefined): PluginResponse {
  const raw = bytes ? decoder.decode(bytes) : '';
  let res: PluginResponse & { bodyBase64?: string };
  try {
    res = JSON.parse(raw) as PluginResponse & { bodyBase64?: string };
  } catch {
    throw coded('PLW_ERR_INVALID_RESPONSE', { id: boot.pluginId, reason: 'handle_request did not return JSON' }, 'bad response');
  }
  if (!res || typeof res.statusCode !== 'number') {
    throw coded('PLW_ERR_INVALID_RESPONSE', { id: boot.pluginId, reason: 'handle_request must return {"statusCode": number, ...}' }, 'bad response');
  }
  if (typeof res.bodyBase64 === 'string') {
    res.body = new Uint8Array(Buffer.from(res.bodyBase64, 'base64'));
    delete res.bodyBase64;
  }
  return res;
}

void side.serve(async () => {
  plugin = await instantiate();
  const exportNames = (await plugin.getExports()).filter((e) => e.kind === 'function').map((e) => e.name);
  return {
    methods: implementedMethods(exportNames, extra.endpoints),
    async call(method, args) {
      switch (method) {
        case 'handleRequest': {
          const req = args[0] as PluginRequest;
          const fn = endpointFunction(req, extra.endpoints);
          if (fn) {
            const out = await callExport(method, fn, rawInput(req.body));
            const body = out ? decoder.decode(out) : '';
            const json = /^\s*[[{]/.test(body);
            return { statusCode: 200, headers: { 'content-type': json ? 'application/json' : 'text/plain; charset=utf-8' }, body } satisfies PluginResponse;
          }
          const wire = req.body instanceof Uint8Array ? { ...req, body: undefined, bodyBase64: Buffer.from(req.body).toString('base64') } : req;
          return toResponse(await callExport(method, 'handle_request', { json: wire, longKey: 'body' }));
        }
        case 'healthCheck': {
          const out = await callExport(method, 'health_check', '');
          const t = out ? decoder.decode(out).trim() : '';
          return t ? JSON.parse(t) : { status: 'healthy' };
        }
        case 'handleEvent':
          await callExport(method, 'handle_event', { json: args[0] });
          return undefined;
        case 'onOpen':
        case 'onMessage':
        case 'onClose': {
          const out = await callExport(method, METHOD_EXPORTS[method]!, websocketInput(method, args));
          return websocketAnswer(out ? decoder.decode(out) : '');
        }
        default: {
          const name = METHOD_EXPORTS[method];
          if (!name) throw coded('PLW_ERR_METHOD_NOT_IMPLEMENTED', { id: boot.pluginId, method }, 'not implemented');
          await callExport(method, name, '');
          if (method === 'stop') lifecycleDone.length = 0;
          else if (method === 'init' || method === 'start') lifecycleDone.push(name);
          return undefined;
        }
      }
    },
  };
});
