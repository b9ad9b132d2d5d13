// permissions.env: the environment variables a plugin may see. The worker runtime hands them to each
// thread (Worker `env`), the process runtime to its sandbox; nothing else of the gateway's environment.

/** The values of the variables permissions.env names (`NAME`, or `PREFIX_*`) that are set here. */
export function grantedEnv(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    if (name.endsWith('*')) {
      const prefix = name.slice(0, -1);
      for (const [k, v] of Object.entries(env)) if (k.startsWith(prefix) && v !== undefined) out[k] = v;
    } else if (env[name] !== undefined) out[name] = env[name]!;
  }
  return out;
}
