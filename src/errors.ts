// The one catalogue of plugway's error codes: every failure a user can meet has a stable code,
// a message template ({name} placeholders) and, where it crosses HTTP, a status.

export interface ErrorDef<M extends string = string> {
  /** Message template; `{key}` is replaced from the error's params. */
  readonly message: M;
  /** HTTP status when the error crosses HTTP. */
  readonly status?: number;
}

const def = <M extends string>(message: M, status?: number): ErrorDef<M> => (status === undefined ? { message } : { message, status });

export const ERRORS = {
  // --- manifest (plugin.yaml) ---
  PLW_ERR_MANIFEST_NOT_FOUND: def('No plugin manifest at {file}: add a plugin.yaml (see docs/manifest.md)'),
  PLW_ERR_MANIFEST_UNREADABLE: def('Cannot read manifest {file}: {reason}'),
  PLW_ERR_MANIFEST_YAML: def('{file}:{line}:{col}: YAML syntax error: {reason}'),
  PLW_ERR_MANIFEST_DUPLICATE_KEY: def('{file}:{line}:{col}: duplicate key "{key}" at {path}: keep only one'),
  PLW_ERR_MANIFEST_INVALID: def('{file}:{line}:{col}: {path}: {reason}'),
  PLW_ERR_MANIFEST_UNKNOWN_FIELD: def('{file}:{line}:{col}: {path}: unknown field "{field}"{hint}'),
  PLW_ERR_MANIFEST_MISSING_FIELD: def('{file}:{line}:{col}: {path}: required field "{field}" is missing'),
  PLW_ERR_MANIFEST_BAD_ID: def('{file}:{line}:{col}: {path}: "{value}" is not a kebab-case plugin id (e.g. "my-plugin")'),
  PLW_ERR_MANIFEST_BAD_SEMVER: def('{file}:{line}:{col}: {path}: "{value}" is not a semantic version (e.g. "1.2.3")'),
  PLW_ERR_MANIFEST_BAD_RANGE: def('{file}:{line}:{col}: {path}: "{value}" is not a semver range (e.g. ">=1.0.0 <2")'),
  PLW_ERR_MANIFEST_BAD_RATE_LIMIT: def('{file}:{line}:{col}: {path}: "{value}" is not a rate limit: write N/s, N/min or N/h (e.g. "100/min")'),
  PLW_ERR_MANIFEST_BAD_DURATION: def('{file}:{line}:{col}: {path}: "{value}" is not a duration: write e.g. 500ms, 5s, 1m or a number of milliseconds'),
  PLW_ERR_MANIFEST_UNKNOWN_KIND: def('{file}:{line}:{col}: {path}: unknown kind "{value}"; expected one of {expected}{hint}'),
  PLW_ERR_MANIFEST_UNKNOWN_RUNTIME: def('{file}:{line}:{col}: {path}: unknown runtime "{value}"; expected one of {expected}{hint}'),
  PLW_ERR_MANIFEST_BAD_CONFIG_SCHEMA: def('{file}:{line}:{col}: {path}: config_schema is not a valid JSON Schema: {reason}'),
  PLW_ERR_ENTRY_NOT_FOUND: def('Plugin {id}: entry file {entry} does not exist (runtime.entry in {file}); build the plugin or fix the path'),
  PLW_ERR_ENTRY_INVALID: def('Plugin {id}: entry {entry} does not export a plugin: {reason}'),
  PLW_ERR_ENGINE_MISMATCH: def('Plugin {id} requires plugway {range}, but this is plugway {version}'),

  // --- host config (plugway.yaml) ---
  PLW_ERR_CONFIG_INVALID: def('{file}: {path}: {reason}'),
  PLW_ERR_CONFIG_ENV_MISSING: def('{file}: {path}: environment variable {name} is not set; set it or write ${{name}:-default}'),
  PLW_ERR_PLUGIN_CONFIG_INVALID: def('Plugin {id}: config{path} {reason}', 400),

  // --- registry and loader ---
  PLW_ERR_PLUGIN_NOT_FOUND: def('No plugin with id "{id}"', 404),
  PLW_ERR_PLUGIN_DUPLICATE: def('Plugin {id}@{version} is already registered (from {existing}); ids must be unique'),
  PLW_ERR_PLUGIN_IMPORT_FAILED: def('Plugin {id}: importing {entry} failed: {reason}'),
  PLW_ERR_MAX_PLUGINS: def('Cannot register plugin {id}: max_plugins ({max}) reached; raise plugins.max_plugins in plugway.yaml'),
  PLW_ERR_KIND_CONTRACT: def('Plugin {id} is of kind {kind} but does not implement {missing}'),

  // --- lifecycle ---
  PLW_ERR_ILLEGAL_TRANSITION: def('Plugin {id}: cannot go from {from} to {to}', 409),
  PLW_ERR_LIFECYCLE_FAILED: def('Plugin {id}: {step} failed: {reason}'),
  PLW_ERR_LIFECYCLE_TIMEOUT: def('Plugin {id}: {step} did not finish within {timeoutMs} ms'),
  PLW_ERR_DEPENDENCY_FAILED: def('Plugin {id}: dependency {dependency} failed', 503),
  PLW_ERR_SHUTDOWN_TIMEOUT: def('Shutdown did not finish within {timeoutMs} ms; still stopping: {pending}'),

  // --- dependencies ---
  PLW_ERR_DEPENDENCY_MISSING: def('Plugin {id} depends on {dependency} {range}, which is not registered'),
  PLW_ERR_DEPENDENCY_VERSION: def('Plugin {id} depends on {dependency} {range}, but {dependency} is {version}'),
  PLW_ERR_DEPENDENCY_OPTIONAL_ABSENT: def('Plugin {id}: optional dependency {dependency} {range} is absent; running without it'),
  PLW_ERR_DEPENDENCY_CYCLE: def('Dependency cycle: {cycle}'),
  PLW_ERR_SERVICE_UNAVAILABLE: def('Plugin {id}: service {service} is not available: {reason}'),

  // --- runtime calls ---
  PLW_ERR_PLUGIN_THREW: def('Plugin {id}: {method} threw: {reason}', 500),
  PLW_ERR_PLUGIN_TIMEOUT: def('Plugin {id}: {method} exceeded its deadline of {timeoutMs} ms', 504),
  PLW_ERR_CALL_ABORTED: def('Plugin {id}: {method} was aborted: {reason}', 503),
  PLW_ERR_METHOD_NOT_IMPLEMENTED: def('Plugin {id} does not implement {method}', 501),
  PLW_ERR_ACTION_NOT_ALLOWED: def('Plugin {id}: action "{action}" is not in the manifest\'s actions whitelist ({allowed})', 403),
  PLW_ERR_ACTION_DESTRUCTIVE: def('Plugin {id}: action "{action}" is destructive and disabled; set allow_destructive: true in its config to enable it', 403),
  PLW_ERR_PLUGIN_NOT_RUNNING: def('Plugin {id} is {state}, not running', 503),
  PLW_ERR_PLUGIN_DISABLED: def('Plugin {id} is disabled', 503),
  PLW_ERR_ASYNC_ERROR: def('Plugin {id}: an error escaped from its timers or promises: {reason}'),
  PLW_ERR_EVENT_RESERVED: def('Plugin {id} cannot emit "{type}": the namespaces {prefixes} belong to plugway; name the event after your plugin (e.g. "{id}.{suffix}")', 403),
  PLW_ERR_RUNTIME_UNKNOWN: def('Unknown runtime "{type}"; available: {available}'),

  // --- worker runtime ---
  PLW_ERR_WORKER_CRASHED: def('Plugin {id}: worker instance {instance} crashed: {reason}', 502),
  PLW_ERR_WORKER_OUT_OF_MEMORY: def('Plugin {id}: worker instance {instance} exceeded its memory limit of {memoryMb} MB (resources.memory: V8 heap, or Buffers and ArrayBuffers outside it)', 502),
  PLW_ERR_WORKER_EXITED: def('Plugin {id}: worker instance {instance} called process.exit({exitCode})', 502),
  PLW_ERR_WORKER_TERMINATED: def('Plugin {id}: worker instance {instance} did not give the thread back after its deadline and was terminated', 504),
  PLW_ERR_WORKER_START_FAILED: def('Plugin {id}: worker instance {instance} failed to start: {reason}'),
  PLW_ERR_WORKER_RESTART_LIMIT: def('Plugin {id}: crashed {count} times; giving up and marking it failed'),
  PLW_ERR_PLUGIN_LOAD_TIMEOUT: def(
    'Plugin {id}: instance {instance} did not finish loading within {timeoutMs} ms (a loop at the top level of its entry or in a wasm start function?); resources.timeout sets the limit',
    504,
  ),

  // --- wasm runtime ---
  PLW_ERR_WASM_INVALID_MODULE: def('Plugin {id}: {file} is not a valid WebAssembly module: {reason}'),
  PLW_ERR_WASM_MEMORY_TOO_LARGE: def('Plugin {id}: module needs at least {minMb} MB of linear memory, above its limit of {limitMb} MB (resources.memory)'),
  PLW_ERR_WASM_MEMORY_LIMIT: def('Plugin {id}: {method} hit the linear memory limit of {limitMb} MB', 502),
  PLW_ERR_WASM_HOST_MEMORY_LIMIT: def(
    'Plugin {id}: {method} asked for more than {limitMb} MB of Extism host memory (blocks from extism:host/env alloc and host-function results; resources.memory)',
    502,
  ),
  PLW_ERR_WASM_TRAP: def('Plugin {id}: {method} trapped: {reason}', 500),
  PLW_ERR_WASM_FS_REFUSED: def("Plugin {id}: wasm plugins cannot be granted filesystem access (permissions.fs): Node's WASI preopens are not a sandbox"),
  PLW_ERR_WASM_HOST_DENIED: def('Plugin {id}: HTTP to {host} is not allowed; grant it in permissions.network', 403),
  PLW_ERR_FETCH_HOST_NOT_ALLOWED: def("Plugin {id}: HTTP to {host} is outside runtimes.fetch.allowed_hosts in plugway.yaml (the operator's cap on what any permissions.network may grant)", 403),
  PLW_ERR_FETCH_TOO_LARGE: def('Plugin {id}: the response from {host} passed {size} bytes, above runtimes.fetch.max_response_bytes ({limit}); the download was aborted', 502),
  PLW_ERR_WASM_EXPORT_MISSING: def('Plugin {id}: module does not export {export}'),
  PLW_ERR_RESPONSE_TOO_LARGE: def('Plugin {id}: {method} returned {size} bytes, above the limit of {limit} bytes', 502),

  // --- remote runtime (services elsewhere) ---
  PLW_ERR_REMOTE_CONFIG: def('Plugin {id}: runtime.{field}: {reason}'),
  PLW_ERR_UPSTREAM_UNAVAILABLE: def('Plugin {id}: no upstream can take the request ({reason}); retry in {retryAfter} s', 503),
  PLW_ERR_UPSTREAM_FAILED: def('Plugin {id}: upstream {upstream} failed: {reason}', 502),
  PLW_ERR_UPSTREAM_TIMEOUT: def('Plugin {id}: upstream {upstream} did not answer within {timeoutMs} ms', 504),
  PLW_ERR_DISCOVERY_UNAVAILABLE: def('Service discovery ({source}) for {service} is unreachable: {reason}; check that it runs and that its endpoints ({endpoints}) are right', 503),
  // --- process runtime (sandboxed child processes) ---
  PLW_ERR_SANDBOX_UNAVAILABLE: def(
    "Plugin {id}: the process sandbox is not available: {reason}. Install Debian's bubblewrap package (apt-get install bubblewrap) and allow user namespaces, or set sandbox: false in plugway.yaml to run process plugins unsandboxed",
  ),
  PLW_ERR_PROCESS_COMMAND: def('Plugin {id}: cannot run {command}: {reason}'),
  PLW_ERR_PROCESS_CRASHED: def('Plugin {id}: process instance {instance} died: {reason}', 502),
  PLW_ERR_PROCESS_OUT_OF_MEMORY: def('Plugin {id}: process instance {instance} was killed at its memory limit of {memoryMb} MB (resources.memory)', 502),
  PLW_ERR_PROCESS_PIDS_LIMIT: def('Plugin {id}: process instance {instance} hit its limit of {pids} processes (resources.pids) and was ended', 502),
  PLW_ERR_PROCESS_CPU_LIMIT: def('Plugin {id}: process instance {instance} used up its CPU time limit of {seconds} s (RLIMIT_CPU backstop) and was ended', 502),
  PLW_ERR_PROCESS_PROTOCOL: def('Plugin {id}: process instance {instance} broke the wire protocol (docs/process-abi.md): {reason}', 502),
  PLW_ERR_PROCESS_TERMINATED: def('Plugin {id}: process instance {instance} did not answer after its deadline and was killed', 504),
  PLW_ERR_PROCESS_START_FAILED: def('Plugin {id}: process instance {instance} failed to start: {reason}'),
  PLW_ERR_PROCESS_RESTART_LIMIT: def('Plugin {id}: its process crashed {count} times; giving up and marking it failed'),
  PLW_ERR_HOST_DENIED: def('Plugin {id}: fetch of {host} is not allowed; grant it in permissions.network', 403),

  // --- gateway ---
  PLW_ERR_ROUTE_NOT_FOUND: def('No route for {method} {path}', 404),
  PLW_ERR_ROUTE_CONFLICT: def('Route {method} {path} is claimed by both {first} and {second}; give one a prefix in plugway.yaml (plugins.configs.<id>.prefix)'),
  PLW_ERR_BAD_REQUEST: def('Malformed request: {reason}', 400),
  PLW_ERR_BODY_TOO_LARGE: def('Request body exceeds the limit of {limit} bytes', 413),
  PLW_ERR_INVALID_RESPONSE: def('Plugin {id} returned an invalid response: {reason}', 502),
  PLW_ERR_INVALID_STATUS: def("Plugin {id} returned status {status}; plugins may answer 200-599 only (1xx would change the connection's protocol)", 502),
  PLW_ERR_INVALID_HEADER: def('Plugin {id} returned header {header} with a character not allowed in a header value (CR, LF, NUL or another control character)', 502),
  PLW_ERR_HEADERS_TOO_LARGE: def('Request headers are larger than the limit of {limit} bytes', 431),
  PLW_ERR_TOO_MANY_CONNECTIONS: def('Too many requests in flight from this client (limit {limit}, gateway.max_connections_per_ip)', 429),
  PLW_ERR_REQUEST_TIMEOUT: def('The request was not received within {timeoutMs} ms ({what})', 408),
  PLW_ERR_UNAUTHENTICATED: def('Authentication required: {reason}', 401),
  PLW_ERR_FORBIDDEN: def('Not allowed: {reason}', 403),
  PLW_ERR_AUTH_PROVIDER_MISSING: def('Endpoint {method} {path} of {id} needs auth, but no auth plugin is configured (gateway.auth.plugin)'),
  PLW_ERR_RATE_LIMITED: def('Rate limit of {limit} exceeded; retry in {retryAfter} s', 429),
  PLW_ERR_CIRCUIT_OPEN: def('Plugin {id} is failing and its circuit is open; retry in {retryAfter} s', 503),
  PLW_ERR_BULKHEAD_FULL: def('Plugin {id} has too many calls in flight ({limit})', 503),
  PLW_ERR_SHUTTING_DOWN: def('The gateway is shutting down; retry on another node or in a moment', 503),
  PLW_ERR_INTERNAL: def('Internal error: {reason}', 500),
  PLW_ERR_PROTOCOL_LISTEN: def('Protocol plugin {id} cannot listen on {host}:{port}: {reason}; pick another port (listen.port in plugin.yaml, or plugins.configs.{id}.listen.port in plugway.yaml)'),
  PLW_ERR_WS_TOO_MANY_CONNECTIONS: def('WebSocket endpoint {path} has its {max} connections open (max_connections); retry later', 503),
  PLW_ERR_WS_ACTION_INVALID: def('Plugin {id}: action {index} of its {hook} answer is invalid: {reason}; none of its actions were applied (docs/websocket.md#actions)', 502),
  PLW_ERR_STREAM_FAILED: def('Plugin {id}: its event stream failed after the response started: {reason}', 502),

  // --- LLM gateway (plugins/llm-gateway; the plugin answers these codes itself) ---
  PLW_ERR_LLM_NOT_CONFIGURED: def('The LLM gateway has no providers; add plugins.configs.llm-gateway.config.providers to plugway.yaml (docs/llm-gateway.md)', 503),
  PLW_ERR_LLM_BAD_REQUEST: def('Bad LLM request: {reason}', 400),
  PLW_ERR_LLM_MODEL_NOT_FOUND: def('No configured provider serves model {model}; GET /v1/models lists them', 404),
  PLW_ERR_LLM_NO_PROVIDER: def('No provider could answer for model {model}: {reason}', 503),
  PLW_ERR_LLM_PROVIDER_FAILED: def('Provider {provider} failed: {reason}', 502),
  PLW_ERR_LLM_TIMEOUT: def('Provider {provider} did not answer within {timeoutMs} ms', 504),
  PLW_ERR_LLM_BUDGET_EXCEEDED: def('The {resource} budget of {subject} ({limit} per {period}) is spent; retry in {retryAfter} s', 429),
  PLW_ERR_LLM_UNAUTHENTICATED: def('The LLM gateway needs one of its API keys: send Authorization: Bearer <key>', 401),
  PLW_ERR_LLM_STREAM_CUT: def('Provider {provider} cut the stream after it started: {reason}', 502),

  // --- admin, state ---
  PLW_ERR_HOST_NOT_ALLOWED: def('This gateway\'s admin API and dashboard do not answer to Host "{host}": use an IP address or localhost, or list the name in gateway.admin.allowed_hosts', 403),
  PLW_ERR_METRICS_UNAUTHORIZED: def('/metrics needs a valid bearer token (gateway.metrics.token, PLUGWAY_METRICS_TOKEN)', 401),
  PLW_ERR_ADMIN_TOKEN_EXPOSED: def(
    "This admin token is refused: plugin code can read it from the gateway process's environment ({where}). Start the gateway with plugway serve (it moves PLUGWAY_ADMIN_TOKEN out of the environment), or use gateway.admin.token, PLUGWAY_ADMIN_TOKEN_FD or the generated <state dir>/admin-token",
    401,
  ),
  PLW_ERR_ADMIN_UNAUTHORIZED: def('Admin API needs a valid bearer token (PLUGWAY_ADMIN_TOKEN)', 401),
  PLW_ERR_STATE_CORRUPT: def('State file {file} is unreadable: {reason}'),
  PLW_ERR_STATE_WRITE: def('Cannot write state to {file}: {reason}'),
  PLW_ERR_STATE_UNAVAILABLE: def('Desired-state store {store} is unreachable: {reason}; check that it runs and that state.etcd.endpoints (PLUGWAY_ETCD_ENDPOINTS) points at it', 503),
  PLW_ERR_STORAGE_UNAVAILABLE: def(
    'Plugin storage through the storage plugin {id} failed ({method}): {reason}; check that {id} is running and its backend answers (storage.plugin in plugway.yaml)',
    503,
  ),
  PLW_ERR_PACKAGE_STORE_UNAVAILABLE: def('The cluster package store {store} failed to {action}: {reason}; check that NATS with JetStream runs and cluster.nats.servers points at it', 503),
  PLW_ERR_CLUSTER_REQUIRED: def('{action} needs a cluster: {reason}', 409),
  PLW_ERR_STATE_CONFLICT: def('Desired state of {id} ({key}) kept changing under concurrent writers; gave up after {attempts} attempts, retry', 409),
  PLW_ERR_RELOAD_FAILED: def('Plugin {id}: reload failed at {step}: {reason}; the previous version keeps serving', 500),
  PLW_ERR_VERSION_NOT_FOUND: def('Plugin {id} has no kept version {version}', 404),
  PLW_ERR_CANARY_INVALID: def('Canary for {id} is invalid: {reason}', 400),
  PLW_ERR_CANARY_RUNNING: def('Plugin {id}: a canary ({version}) is running; promote or abort it before a reload', 409),

  // --- packages (pack, sign, install) ---
  PLW_ERR_PACKAGE_INVALID: def('Package {file} is invalid: {reason}'),
  PLW_ERR_INTEGRITY_MISMATCH: def('Package {file}: {entry} does not match its integrity hash; the package was altered'),
  PLW_ERR_SIGNATURE_MISSING: def('Package {file} is not signed, and this host only installs packages signed by a trusted key'),
  PLW_ERR_SIGNATURE_INVALID: def('Package {file}: signature does not verify against any trusted key'),
  PLW_ERR_INSTALL_FAILED: def('Installing {file} failed: {reason}; nothing was installed'),
  PLW_ERR_PLUGIN_BUILD_FAILED: def('Building the plugin in {dir} failed (node build.mjs exited with {code}):\n{output}'),
  PLW_ERR_ALREADY_INSTALLED: def('Plugin {id}@{version} is already installed at {path}; pass --force to replace it'),
  PLW_ERR_FIXTURES_INVALID: def('{file}: {path}: {reason}'),

  // --- npm as the marketplace (plugin install npm:…, plugin search) ---
  PLW_ERR_NPM_REGISTRY: def('The npm registry {registry} did not answer {what}: {reason}'),
  PLW_ERR_NPM_VERSION_NOT_FOUND: def('npm package {name} has no version matching {range} in {registry} (it has: {versions})'),
  PLW_ERR_NPM_NOT_A_PLUGIN: def('npm package {name}@{version} is not a plugway plugin: it has no plugin.yaml at its root'),
  PLW_ERR_INSTALL_SCRIPTS: def('npm package {name}@{version}: {scripts} would run install scripts; refused (pass --allow-scripts to run them)'),
  PLW_ERR_NPM_FAILED: def('npm {command} failed in {dir} (exit {code}): {output}'),

  // --- diagnostics ---
  PLW_ERR_DIAG_CONNECT: def('Cannot connect to {target}: {reason}', 502),
  PLW_ERR_DIAG_NOT_CONNECTED: def('Plugin {id} is not connected; call connect(target) first', 409),
  PLW_ERR_DIAG_BAD_TARGET: def('"{target}" is not a valid {system} target: {reason}', 400),
  PLW_ERR_DIAG_BAD_REQUEST: def('Bad diagnostics request: {reason}; send {"target": "<url>", "categories"?: [...], "window"?: "5s"}', 400),

  // --- CLI ---
  PLW_ERR_CLI_USAGE: def('{reason}', 400),
  PLW_ERR_GATEWAY_UNREACHABLE: def('Cannot reach the gateway at {url}: {reason}'),

  // --- operations (issue 22: honest reloads and health, TLS, one gateway per state dir, the seeds' names) ---
  PLW_ERR_WORKER_RESTARTING: def("Plugin {id}: no worker instance was ready within the call's {timeoutMs} ms (an instance is restarting); retry in {retryAfter} s", 503),
  PLW_ERR_PLUGIN_BUILD_STALE: def('Plugin {id}: {source} is newer than the built entry {entry}; build it first ({build}) and reload again', 409),
  PLW_ERR_STATE_DIR_LOCKED: def('State dir {dir} is in use by another plugway (pid {pid}, started {since}); give each gateway its own state dir (--state-dir, state.dir) or stop the other one'),
  PLW_ERR_TLS_INVALID: def('gateway.tls: {reason} ({file})'),
  PLW_ERR_FLAG_UNKNOWN: def('Plugin {id} declares no feature flag "{flag}" (declared: {declared})', 404),
  PLW_ERR_FLAG_VALUE_INVALID: def('Feature flag {flag} of {id}: {reason}; send {"enabled": true} or {"enabled": false}', 400),
  PLW_ERR_PLUGIN_NOT_LOADABLE: def('{file}: {reason}'),
  PLW_ERR_DEPENDENCY_CYCLE_ALLOWED: def('Dependency cycle {cycle} allowed (plugins.allow_circular_dependencies): started in id order ({order}); not awaited: {ignored}'),
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERRORS;

export type ErrorParams = Record<string, string | number | boolean | undefined | null>;

type ParamValue = string | number | boolean | undefined | null;
/** The `{name}` placeholders of a message template (`${{name}:-default}` in a message is not one). */
type PlaceholdersOf<M extends string> = M extends `${string}{${infer K}}${infer Rest}` ? (K extends `${string}${' ' | '{' | '"' | ':' | '$'}${string}` ? never : K) | PlaceholdersOf<Rest> : never;
/** The params a code's message needs: each placeholder named (a missing one is a type error), more allowed. */
export type ParamsOf<C extends ErrorCode> = { [K in PlaceholdersOf<(typeof ERRORS)[C]['message']>]: ParamValue } & ErrorParams;

/** A code's message with its params filled in, and its HTTP status (what a PlugwayError carries, without the Error). */
export function describeError<C extends ErrorCode>(code: C, params: ParamsOf<C>): { message: string; status: number } {
  const d: ErrorDef = ERRORS[code];
  return { message: render(d.message, params), status: d.status ?? 500 };
}

function render(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const v = params[key];
    return v === undefined || v === null ? whole : String(v);
  });
}

export class PlugwayError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly status: number;
  readonly params: ErrorParams;

  /** `params` names every `{placeholder}` of the code's message (a missing one is a type error). */
  constructor(code: C, params: ParamsOf<C>, options?: { cause?: unknown }) {
    const d = describeError<ErrorCode>(code, params as ParamsOf<ErrorCode>);
    super(d.message, options);
    this.name = 'PlugwayError';
    this.code = code;
    this.status = d.status;
    this.params = params;
  }

  /** An error whose code is known only at run time (rebuilt from another thread, a JSON answer, a parsed issue). */
  static rebuilt(code: ErrorCode, params: ErrorParams, options?: { cause?: unknown }): PlugwayError {
    return new PlugwayError<ErrorCode>(code, params as ParamsOf<ErrorCode>, options);
  }

  toJSON(): { code: C; message: string; params: ErrorParams } {
    return { code: this.code, message: this.message, params: this.params };
  }
}

export function isPlugwayError(err: unknown, code?: ErrorCode): err is PlugwayError {
  return err instanceof PlugwayError && (code === undefined || err.code === code);
}

/** A readable reason from anything thrown (plugins may throw non-Errors). */
export function reasonOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
