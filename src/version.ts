// plugway's own version, read once from package.json (manifests' `engine` ranges are checked against it).
import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'plugway' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate: src/ and dist/ sit at the same depth, but be tolerant
    }
  }
  return '0.0.0';
}

export const PLUGWAY_VERSION: string = readVersion();
