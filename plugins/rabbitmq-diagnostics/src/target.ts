// Turns a DiagnosticTarget (amqp://user:pass@host:5672/vhost, amqps://…, or host:port, plus
// options.management_url) into where the AMQP listener and the management HTTP API are.
import { badTargetError, parseTargetUrl, type DiagnosticTarget } from 'plugway/sdk';

export interface RabbitPlan {
  /** amqp(s)://host:port/vhost for amqplib, with the credentials. */
  amqpUrl: string;
  amqpPort: number;
  /** Base of the management API, e.g. http://127.0.0.1:15672 (no trailing slash). */
  managementUrl: string;
  user: string;
  password: string;
  /** The vhost the URL names; undefined: every vhost the user can see. */
  vhost?: string;
  tls: boolean;
  /** Printable target without the password. */
  label: string;
}

export function planConnection(target: DiagnosticTarget | string, managementPort: number): RabbitPlan {
  const {
    target: t,
    url,
    raw,
    endpoint,
  } = parseTargetUrl(target, {
    system: 'rabbitmq',
    schemes: ['amqp', 'amqps'],
    example: 'amqp://guest:guest@127.0.0.1:5672',
    defaults: { user: 'guest', port: 5672 },
  });
  const tls = url.protocol === 'amqps:' || t.tls === true || (typeof t.tls === 'object' && t.tls !== null);
  if (tls && !url.port) endpoint.port = 5671;
  const opts = t.options ?? {};
  let managementUrl: string;
  if (typeof opts.management_url === 'string' && opts.management_url) {
    try {
      const m = new URL(opts.management_url);
      if (m.protocol !== 'http:' && m.protocol !== 'https:') throw new Error('not http(s)');
      managementUrl = `${m.protocol}//${m.host}${m.pathname.replace(/\/+$/, '')}`;
    } catch {
      throw badTargetError('rabbitmq', raw, `options.management_url "${opts.management_url}" is not an http(s) URL such as http://127.0.0.1:15672`);
    }
  } else {
    const port = typeof opts.management_port === 'number' ? opts.management_port : managementPort;
    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    managementUrl = `${tls ? 'https' : 'http'}://${host}:${port}`;
  }
  const vhost = url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined;
  const password = endpoint.password ?? 'guest';
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const scheme = tls ? 'amqps' : 'amqp';
  const path = vhost === undefined ? '' : `/${encodeURIComponent(vhost)}`;
  return {
    amqpUrl: `${scheme}://${encodeURIComponent(endpoint.user)}:${encodeURIComponent(password)}@${host}:${endpoint.port}${path}`,
    amqpPort: endpoint.port,
    managementUrl,
    user: endpoint.user,
    password,
    vhost,
    tls,
    label: `${scheme}://${endpoint.user}@${host}:${endpoint.port}${path}`,
  };
}
