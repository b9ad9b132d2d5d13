// What a plugin module exports, whatever compiled it: an ES module's default export (or a named
// `plugin`), or the default of a CommonJS-compiled one (TypeScript outside a "type": "module"
// package), which import() nests once more as { default: { __esModule, default } }.

export function pluginExportOf(mod: unknown): unknown {
  if (mod === null || typeof mod !== 'object') return undefined;
  const m = mod as { default?: unknown; plugin?: unknown };
  let exported = 'default' in m ? m.default : m.plugin;
  const inner = exported && typeof exported === 'object' ? (exported as { default?: unknown; plugin?: unknown; __esModule?: boolean }) : undefined;
  if (inner?.__esModule) exported = 'default' in inner ? inner.default : inner.plugin;
  else if (inner && 'default' in inner && Object.keys(inner).length === 1) exported = inner.default;
  return exported;
}
