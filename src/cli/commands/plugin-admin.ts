// `plugway plugin list | info | enable | disable | reload`: steer a running gateway through its admin API.
import type { Command } from 'commander';
import { adminClient as client, withAdminOptions, type AdminOpts } from '../admin-options.js';
import type { AdminPlugin } from '../../toolkit/admin-client.js';
import { table } from '../../toolkit/report.js';

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);

function short(s: unknown): string {
  if (typeof s !== 'string' || !s) return '-';
  return s.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function register(plugin: Command): void {
  withAdminOptions(plugin.command('list').description('list the plugins of a running gateway with their state and health'), 'plugway plugin list --url http://127.0.0.1:8080').action(
    async (opts: AdminOpts) => {
      const r = await client(opts).list();
      if (opts.json) return out(JSON.stringify(r, null, 2));
      const rows = r.plugins.map((p: AdminPlugin) => [p.id, p.version, p.kind, p.runtime, p.enabled ? 'yes' : 'no', p.state, p.health, short(p.last_used)]);
      out(`${table(['id', 'version', 'kind', 'runtime', 'enabled', 'state', 'health', 'last used'], rows)}\n${r.count} plugin${r.count === 1 ? '' : 's'}`);
    },
  );

  withAdminOptions(
    plugin.command('info').description("one plugin's details: manifest, config (secrets redacted), dependencies, endpoints, metrics").argument('<id>', 'plugin id'),
    'plugway plugin info hello',
  ).action(async (id: string, opts: AdminOpts) => {
    const p = await client(opts).info(id);
    if (opts.json) return out(JSON.stringify(p, null, 2));
    out(formatInfo(p));
  });

  withAdminOptions(
    plugin.command('discover').description('make a running gateway load and start the plugins installed into its folders since it started (plugin install --url does it for you)'),
    'plugway plugin discover --url http://127.0.0.1:8080',
  ).action(async (opts: AdminOpts) => {
    const r = await client(opts).discover();
    if (opts.json) out(JSON.stringify(r, null, 2));
    else {
      const lines = [r.added.length ? `Added ${r.added.join(', ')}` : 'No new plugins'];
      for (const f of r.failed) lines.push(`Failed ${f.id ?? f.dir}: ${f.code}: ${f.message}`);
      out(lines.join('\n'));
    }
    if (r.failed.length) process.exitCode = 1;
  });

  for (const action of ['enable', 'disable', 'reload'] as const) {
    const what = { enable: 'enable a plugin (and start it)', disable: 'disable a plugin (its routes answer 503 until enabled)', reload: 're-read a plugin from disk and restart it' }[action];
    withAdminOptions(plugin.command(action).description(what).argument('<id>', 'plugin id'), `plugway plugin ${action} hello`).action(async (id: string, opts: AdminOpts) => {
      const r = await client(opts).action(id, action);
      if (opts.json) return out(JSON.stringify(r ?? { ok: true }, null, 2));
      const state = r && typeof r === 'object' && 'state' in r ? ` (state: ${String((r as { state: unknown }).state)})` : '';
      out(`${{ enable: 'Enabled', disable: 'Disabled', reload: 'Reloaded' }[action]} ${id}${state}`);
    });
  }
}

/** `plugin info`'s tables: fields, config (as the gateway sends it, secrets "[REDACTED]"), endpoints, metrics. */
export function formatInfo(p: AdminPlugin): string {
  const rows: Array<[string, unknown]> = [
    ['id', p.id],
    ['version', p.version],
    ['kind', p.kind],
    ['runtime', p.runtime],
    ['description', p.description],
    ['enabled', p.enabled ? 'yes' : 'no'],
    ['state', p.state],
    ['health', p.health],
    ['loaded at', short(p.loaded_at)],
    ['last used', short(p.last_used)],
  ];
  const deps = p.dependencies as unknown[] | undefined;
  if (Array.isArray(deps))
    rows.push(['dependencies', deps.map((d) => (typeof d === 'string' ? d : `${(d as { id?: string }).id ?? ''} ${(d as { range?: string }).range ?? ''}`.trim())).join(', ') || '-']);
  if (Array.isArray(p.dependents)) rows.push(['dependents', (p.dependents as string[]).join(', ') || '-']);
  let text = table(['field', 'value'], rows);
  const config = p.config && typeof p.config === 'object' ? Object.entries(p.config as Record<string, unknown>) : undefined;
  if (config)
    text += `\n\n${
      config.length
        ? table(
            ['config', 'value'],
            config.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
          )
        : 'config: (none)'
    }`;
  const endpoints = p.endpoints as Array<{ method?: string; path?: string; auth?: string }> | undefined;
  if (Array.isArray(endpoints) && endpoints.length)
    text += `\n\n${table(
      ['method', 'path', 'auth'],
      endpoints.map((e) => [e.method, e.path, e.auth]),
    )}`;
  if (p.metrics && typeof p.metrics === 'object')
    text += `\n\n${table(
      ['metric', 'value'],
      Object.entries(p.metrics).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 100) / 100 : JSON.stringify(v)]),
    )}`;
  return text;
}
