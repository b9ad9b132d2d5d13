// The HTTP gateway: createGateway() and the pieces an embedding application may want.
export { createGateway, gatewayOf, applyDesiredState, stateFiles, type GatewayOptions, type GatewayHandle } from './gateway.js';
export { createRequestLogger, redactSecrets, REDACT_PATHS } from './logging.js';
export { adminOpenApi } from './openapi.js';
export { collectRoutes, RouteTable, toRouterPath, globToRegExp, matchesAnyGlob, type RouteDef } from './route-table.js';
