// kv-protocol: one command per line (the gateway cuts lines), answered with one line.
//   SET <key> <value…>  → OK          GET <key> → VALUE <value> | NOT_FOUND
//   DEL <key>           → DELETED | NOT_FOUND                    QUIT → BYE (and close)
import type { PluginContext, ProtocolConnection, ProtocolPlugin, ProtocolReply } from 'plugway/sdk';

const KEY = /^[\w.:-]{1,200}$/;

const plugin: ProtocolPlugin = {
  onConnect(): string {
    return 'READY kv-protocol 1\n';
  },
  async handle(line: string, _conn: ProtocolConnection, ctx: PluginContext): Promise<ProtocolReply> {
    const [cmd = '', key = '', ...rest] = line.trim().split(/\s+/);
    const verb = cmd.toUpperCase();
    if (verb === '') return undefined;
    if (verb === 'QUIT') return { reply: 'BYE\n', close: true };
    if (!['GET', 'SET', 'DEL'].includes(verb)) return `ERR unknown command ${JSON.stringify(cmd.slice(0, 20))}\n`;
    if (!KEY.test(key)) return 'ERR bad key (1-200 of A-Z a-z 0-9 _ . : -)\n';
    if (verb === 'SET') {
      if (rest.length === 0) return 'ERR SET needs a value\n';
      await ctx.storage.set(`kv:${key}`, rest.join(' '));
      return 'OK\n';
    }
    if (verb === 'GET') {
      const v = await ctx.storage.get<string>(`kv:${key}`);
      return v === undefined ? 'NOT_FOUND\n' : `VALUE ${v}\n`;
    }
    return (await ctx.storage.delete(`kv:${key}`)) ? 'DELETED\n' : 'NOT_FOUND\n';
  },
};

export default plugin;
