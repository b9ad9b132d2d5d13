// YAML with source positions: parse once, then map a field path back to the line and column
// of its key or value, so every error can point at the exact spot in the file.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';

export type PathSegment = string | number;

export interface Position {
  line: number;
  col: number;
}

export interface YamlSyntaxIssue extends Position {
  code: string;
  message: string;
}

export interface DuplicateKey extends Position {
  key: string;
  path: PathSegment[];
}

export interface YamlSource {
  /** The text parsed. */
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The plain JS value (last key wins on duplicates). */
  value: unknown;
  syntaxErrors: YamlSyntaxIssue[];
  duplicates: DuplicateKey[];
}

export function parseYamlSource(text: string): YamlSource {
  const lines = new LineCounter();
  // uniqueKeys off: we walk the maps ourselves to report every duplicate with its field path
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const syntaxErrors = doc.errors.map((e) => {
    const p = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
    return { code: e.code, message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), line: p.line, col: p.col };
  });
  const src: YamlSource = { text, doc, lines, value: undefined, syntaxErrors, duplicates: [] };
  src.value = syntaxErrors.length ? undefined : doc.toJS({ maxAliasCount: 100 });
  collectDuplicates(src, doc.contents as Node | null, [], src.duplicates);
  return src;
}

function keyOf(pair: Pair): string | undefined {
  const k = pair.key;
  if (isScalar(k)) return String(k.value);
  if (k === null || k === undefined) return undefined;
  return typeof k === 'object' ? undefined : String(k);
}

function collectDuplicates(src: YamlSource, node: Node | null | undefined, path: PathSegment[], out: DuplicateKey[]): void {
  if (!node) return;
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = keyOf(pair);
      if (key !== undefined) {
        if (seen.has(key)) {
          const p = positionAt(src, (pair.key as Node | null)?.range?.[0]);
          out.push({ key, path: [...path, key], ...p });
        }
        seen.add(key);
      }
      collectDuplicates(src, pair.value as Node | null, key === undefined ? path : [...path, key], out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => collectDuplicates(src, item as Node | null, [...path, i], out));
  }
}

export function positionAt(src: YamlSource, offset: number | undefined): Position {
  if (offset === undefined) return { line: 1, col: 1 };
  const p = src.lines.linePos(offset);
  return { line: p.line, col: p.col };
}

/**
 * Where `path` is written: the value's position (or, with which='key', its key's). When the path
 * does not exist (a missing field), the position of the deepest existing ancestor.
 */
export function locate(src: YamlSource, path: readonly PathSegment[], which: 'key' | 'value' = 'value'): Position {
  let node = src.doc.contents as Node | null;
  let pos: Position = node?.range ? positionAt(src, node.range[0]) : { line: 1, col: 1 };
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      let found: Pair | undefined;
      for (const pair of node.items) if (keyOf(pair) === String(seg)) found = pair; // last wins, like toJS
      if (!found) return pos;
      const keyNode = found.key as Node | null;
      const valueNode = found.value as Node | null;
      if (last && which === 'key' && keyNode?.range) return positionAt(src, keyNode.range[0]);
      const target = valueNode?.range ? valueNode : keyNode;
      if (target?.range) pos = positionAt(src, target.range[0]);
      node = valueNode;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | null | undefined;
      if (!item) return pos;
      if (item.range) pos = positionAt(src, item.range[0]);
      node = item;
    } else {
      return pos;
    }
  }
  return pos;
}

/**
 * The source text of the scalar at `path` (`1.0` where the value is the number 1), or undefined when
 * the path is absent or not a scalar. Errors quote it, so that they show what the author wrote.
 */
export function sourceTextAt(src: YamlSource, path: readonly PathSegment[]): string | undefined {
  let node = src.doc.contents as Node | null;
  for (const seg of path) {
    if (isMap(node)) {
      let found: Pair | undefined;
      for (const pair of node.items) if (keyOf(pair) === String(seg)) found = pair;
      node = (found?.value ?? null) as Node | null;
    } else if (isSeq(node)) {
      node = (node.items[Number(seg)] ?? null) as Node | null;
    } else {
      return undefined;
    }
  }
  if (!isScalar(node) || !node.range) return undefined;
  return src.text.slice(node.range[0], node.range[1]);
}

/** `endpoints[0].rate_limit` from ["endpoints", 0, "rate_limit"]. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number' || /^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out || '(root)';
}

/** ["a", "0", "b"] from the JSON pointer "/a/0/b". */
export function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
