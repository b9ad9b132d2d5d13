// The JSON Schema of plugin.yaml as written (snake_case, aliases allowed). ajv checks the structure;
// validate.ts maps its errors to plugway's codes and to file:line:col.
import { PLUGIN_KINDS, RUNTIME_TYPES } from '../sdk/types.js';
import { REMOTE_RUNTIME_PROPERTIES } from './remote.js';

const str = { type: 'string' } as const;
const strList = { type: 'array', items: { type: 'string' } } as const;
const duration = { type: ['string', 'number'], format: 'duration', minimum: 0 } as const;
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export const manifestSchema = {
  type: 'object',
  required: ['version'],
  additionalProperties: false,
  properties: {
    id: str,
    name: str,
    version: { type: 'string', format: 'semver' },
    description: str,
    author: str,
    license: str,
    homepage: str,
    kind: { type: 'string', enum: [...PLUGIN_KINDS] },
    type: { type: 'string', enum: [...PLUGIN_KINDS] },
    engine: { type: 'string', format: 'semver-range' },
    runtime: {
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: [...RUNTIME_TYPES] },
        entry: { type: 'string', minLength: 1 },
        instances: { type: 'integer', minimum: 1 },
        // process runtime: the program and its arguments, run as given (instead of an interpreter for `entry`)
        command: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        // the Veza seed's ABI version (`version: 1.0`): accepted and ignored
        version: { type: ['string', 'number'] },
        // runtime.type remote: where the service is and how it is reached (remote.ts)
        ...REMOTE_RUNTIME_PROPERTIES,
      },
    },
    resources: {
      type: 'object',
      additionalProperties: false,
      properties: {
        cpu: { type: 'number', exclusiveMinimum: 0 },
        memory: { type: 'number', exclusiveMinimum: 0 },
        timeout: duration,
        disk: { type: 'number', minimum: 0 },
        pids: { type: 'integer', minimum: 1 },
      },
    },
    permissions: {
      type: 'object',
      additionalProperties: false,
      properties: { network: strList, env: strList, fs: strList },
    },
    endpoints: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path'],
        additionalProperties: false,
        properties: {
          path: { type: 'string', pattern: '^/' },
          method: { type: 'string', enum: [...HTTP_METHODS, ...HTTP_METHODS.map((m) => m.toLowerCase())] },
          auth: { type: 'string', enum: ['required', 'optional', 'none'] },
          roles: strList,
          permissions: { type: 'array', items: { type: 'string', pattern: '^[^:\\s]+:[^:\\s]+$' } },
          rate_limit: { type: 'string', format: 'rate-limit' },
          function: { type: 'string', minLength: 1 },
          description: str,
          timeout: duration,
          // WebSocket endpoints (docs/websocket.md): the path upgrades; the limits apply per connection
          protocol: { type: 'string', enum: ['http', 'websocket'] },
          max_message_bytes: { type: 'integer', minimum: 1 },
          idle_timeout: duration,
          max_connections: { type: 'integer', minimum: 1 },
        },
      },
    },
    dependencies: {
      type: 'array',
      items: {
        // an object {plugin|service, version, optional} or the string form "id >= 1.0.0"
        type: ['object', 'string'],
        additionalProperties: false,
        properties: {
          plugin: str,
          service: str,
          version: { type: 'string', format: 'semver-range' },
          optional: { type: 'boolean' },
        },
      },
    },
    requires: strList,
    capabilities: strList,
    actions: strList,
    feature_flags: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: { name: str, default: { type: 'boolean' }, description: str },
      },
    },
    health_check: {
      type: 'object',
      additionalProperties: false,
      properties: { endpoint: { type: 'string', pattern: '^/' }, interval: duration, timeout: duration },
    },
    config_schema: { type: 'object' },
    events: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // domain event types this plugin's handleEvent wants from other nodes; durable: at-least-once (JetStream)
        subscribe: {
          type: 'array',
          items: {
            type: ['object', 'string'],
            required: ['type'],
            additionalProperties: false,
            properties: { type: { type: 'string', pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$' }, durable: { type: 'boolean' } },
          },
        },
      },
    },
    // kind: protocol — the TCP port plugway listens on for the plugin (docs/protocol-plugins.md)
    listen: {
      type: 'object',
      additionalProperties: false,
      properties: {
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        host: str,
        max_connections: { type: 'integer', minimum: 1 },
        idle_timeout: duration,
        bytes_per_second: { type: 'integer', minimum: 1 },
        max_frame_bytes: { type: 'integer', minimum: 1 },
      },
    },
    middleware: {
      type: 'object',
      additionalProperties: false,
      properties: { priority: { type: 'number' }, routes: strList },
    },
  },
} as const;

/** Every field name at the top level (for "did you mean"). */
export const TOP_LEVEL_FIELDS = Object.keys(manifestSchema.properties);
