// `plugway register`: a sidecar that keeps one service instance listed in etcd under a lease,
// for a service that cannot do it itself. Gateways watching the service add it at once and drop
// it when the lease expires (the sidecar died) or is revoked (the sidecar stopped).

import type { Command } from 'commander';
import { summaryOf } from './index.js';
import { hostname } from 'node:os';
import { PlugwayError, reasonOf } from '../../errors.js';
import { DEFAULT_SERVICE_PREFIX } from '../../manifest/remote.js';
import { EtcdRegistrar } from '../../runtimes/remote/discovery/etcd.js';
import type { Registration } from '../../runtimes/remote/discovery/types.js';

interface RegisterOptions {
  service: string;
  url: string;
  etcd?: string;
  ttl: string;
  id?: string;
  prefix: string;
  check?: string;
}

const SERVICE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function usage(reason: string): PlugwayError {
  return new PlugwayError('PLW_ERR_CLI_USAGE', { reason });
}

function say(event: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}

/** Whether the instance answers its health URL (2xx/3xx) within 2 s. */
async function healthy(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
    await r.body?.cancel();
    return r.status >= 200 && r.status < 400;
  } catch {
    return false;
  }
}

export async function runRegister(o: RegisterOptions): Promise<void> {
  if (!SERVICE.test(o.service)) throw usage(`--service ${o.service} is not a kebab-case service name (e.g. ai-recommendations)`);
  if (!/^https?:\/\/[^/]+/.test(o.url)) throw usage(`--url ${o.url} is not an http:// or https:// URL`);
  const ttl = Number(o.ttl);
  if (!Number.isInteger(ttl) || ttl < 1) throw usage(`--ttl ${o.ttl} is not a whole number of seconds (>= 1)`);
  const endpoints = (o.etcd ?? process.env.PLUGWAY_ETCD_ENDPOINTS ?? 'http://127.0.0.1:2379')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const id = o.id ?? `${hostname()}-${process.pid}`;
  const registrar = new EtcdRegistrar({ endpoints, prefix: o.prefix });
  let reg: Registration | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    wake?.();
    await reg?.stop();
    await registrar.close();
    say('deregistered', { service: o.service, id, signal });
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  const pause = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });
  // Register; when the lease is lost (etcd gone for longer than the TTL), register again.
  let backoff = 250;
  while (!stopping) {
    if (o.check && !(await healthy(o.check))) {
      if (reg) {
        await reg.stop();
        reg = undefined;
        say('unhealthy', { service: o.service, id, check: o.check });
      }
      await pause((ttl * 1000) / 3);
      continue;
    }
    if (!reg) {
      try {
        reg = await registrar.register(o.service, { id, url: o.url }, ttl);
        backoff = 250;
        say('registered', { service: o.service, id, url: o.url, key: reg.key, ttl_s: ttl, etcd: endpoints });
        const lostReg = reg;
        void lostReg.lost.then((reason) => {
          if (stopping || reg !== lostReg) return;
          say('lost', { service: o.service, id, reason });
          reg = undefined;
          wake?.();
        });
      } catch (err) {
        say('error', { service: o.service, id, reason: reasonOf(err) });
        await pause(backoff);
        backoff = Math.min(backoff * 2, 5000);
        continue;
      }
    }
    await pause(o.check ? (ttl * 1000) / 3 : 3_600_000);
  }
}

export function register(program: Command): void {
  program
    .command('register')
    .description(summaryOf('register'))
    .requiredOption('--service <name>', 'the service name a remote plugin discovers (upstreams: { discover: etcd, service: <name> })')
    .requiredOption('--url <url>', 'where the instance answers, e.g. http://10.0.0.7:9000')
    .option('--etcd <endpoints>', 'etcd client URLs, comma-separated (default PLUGWAY_ETCD_ENDPOINTS, then http://127.0.0.1:2379)')
    .option('--ttl <seconds>', 'lease TTL: how long the instance stays listed after this sidecar dies', '10')
    .option('--id <id>', 'the instance id (default <hostname>-<pid>)')
    .option('--prefix <prefix>', 'etcd key prefix', DEFAULT_SERVICE_PREFIX)
    .option('--check <url>', "only stay registered while this URL answers 2xx/3xx (the instance's health endpoint)")
    .action((opts: RegisterOptions) => runRegister(opts));
}
