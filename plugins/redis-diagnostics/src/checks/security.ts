// Checklist 14 (RedisInsight): a default user without password. Severity follows exposure:
// a server bound to loopback only is reachable from this host alone.
import type { Finding } from 'plugway/sdk';
import { compareVersions } from '../info.js';
import { finding, type Check } from './types.js';

const LOOPBACK = /^-?(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export const securityCheck: Check = async ({ node, info, config, cfg }) => {
  const out: Finding[] = [];
  const conf = await config;
  const bind = conf instanceof Error ? undefined : (conf.bind ?? '').trim();
  const loopbackOnly = bind !== undefined && bind !== '' && bind.split(/\s+/).every((a) => LOOPBACK.test(a));
  let nopass = false;
  let how = '';
  if (compareVersions(info.redis_version ?? '0', '6.0.0') >= 0) {
    try {
      const users = (await node.call('ACL', 'LIST')) as string[];
      const def = users.find((u) => u.startsWith('user default '));
      nopass = !!def && / on( |$)/.test(def) && / nopass( |$)/.test(def);
      how = def ?? '';
    } catch (err) {
      out.push(
        finding(
          'security',
          'info',
          'REDIS_CHECK_UNAVAILABLE',
          `ACL LIST not allowed: the default user was not checked (${(err as Error).message})`,
          { check: 'acl' },
          'Grant +acl|list to the diagnosing user, or check ACL LIST by hand.',
        ),
      );
      return out;
    }
  } else if (!(conf instanceof Error)) {
    nopass = (conf.requirepass ?? '') === '';
    how = 'requirepass is empty';
  } else {
    return [finding('security', 'info', 'REDIS_CHECK_UNAVAILABLE', 'Cannot tell whether a password is required (CONFIG GET not allowed)', { check: 'requirepass' }, 'Check requirepass by hand.')];
  }
  if (nopass) {
    const trusted = loopbackOnly && cfg.loopback_is_trusted;
    out.push(
      finding(
        'security',
        trusted ? 'info' : 'warning',
        'REDIS_DEFAULT_USER_NOPASS',
        `The default user needs no password${trusted ? ' (the server listens on loopback only)' : ''}`,
        { acl: how, bind: bind ?? 'unknown', protected_mode: conf instanceof Error ? 'unknown' : conf['protected-mode'], loopback_only: loopbackOnly },
        'Set a password (ACL SETUSER default on >secret, or requirepass) or disable the default user and create named users with least privileges.',
      ),
    );
  }
  return out;
};
