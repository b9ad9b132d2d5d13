import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { fastParseYaml } from './fast-yaml.js';
import { parseYamlSource } from './yaml-source.js';

const root = resolve(import.meta.dirname, '../..');

/** The fast path either declines or agrees exactly with the full parser, which must see no problem. */
function agrees(text: string): boolean {
  const fast = fastParseYaml(text);
  if (fast === undefined) return false;
  const full = parseYamlSource(text);
  assert.deepEqual(full.syntaxErrors, [], `fast path accepted a document yaml rejects:\n${text}`);
  assert.deepEqual(full.duplicates, [], `fast path accepted duplicate keys:\n${text}`);
  assert.deepStrictEqual(fast, full.value, `fast path disagrees with yaml on:\n${text}`);
  return true;
}

test('fast yaml: the project manifests take the fast path and parse exactly as yaml does', () => {
  const files = [
    'examples/hello/plugin.yaml',
    'examples/echo/plugin.yaml',
    'plugins/redis-diagnostics/plugin.yaml',
    'test/fixtures/manifests/veza/plugin.yaml',
    'test/fixtures/manifests/kubestack/my-plugin.yaml',
    'test/fixtures/manifests/broken/many-errors.yaml',
  ];
  for (const f of files) assert.ok(agrees(readFileSync(resolve(root, f), 'utf8')), `${f} takes the fast path`);
});

test('fast yaml: scalars resolve as in the core schema; quoting, comments, flow, compact forms', () => {
  const doc = [
    'a: 1',
    'b: -2',
    'c: 0x1F',
    'd: 0o17',
    'e: 1.50',
    'f: 1e3',
    'g: .inf',
    'h: -.Inf',
    'i: .nan',
    'j: true',
    'k: False',
    'l: ~',
    'm: null',
    'n:',
    'o: yes',
    'p: 1.0.3',
    'q: "quoted # not a comment"',
    "r: 'it''s'",
    's: plain # a comment',
    't: http://example.com:8080/x',
    'u: { type: string, default: hi, n: [1, two, "3"] }',
    'v: []',
    'w: {}',
    'x:',
    '- one',
    '- k: 1',
    '  l: [a]',
    '-',
    '  deep: true',
    '- - nested',
    '  - seq',
    'y:',
    '  z:',
    '    - 1',
    '    - 2 # two',
    '"quoted key": 1',
    "'single key': 2",
    '# full-line comment',
    'last: a  b',
  ].join('\n');
  assert.ok(agrees(doc));
  const v = fastParseYaml(doc)!;
  assert.equal(v.o, 'yes');
  assert.ok(Number.isNaN(v.i));
});

test('fast yaml: declines what it does not handle, and everything yaml reports', () => {
  const declined = [
    'a: 1\na: 2', // duplicate: the full parser reports it with positions
    'a: &x 1\nb: *x',
    'a: !!str 1',
    'a: |\n  text',
    'a: >\n  text',
    'a: "esc\\n"',
    'a: b: c',
    'a: plain\n  continued',
    'a: [1,\n  2]',
    '---\na: 1',
    'a:\n\tb: 1',
    '- top-level list',
    'a: 1\n - b',
    'a:\n    b: 1\n  c: 2',
    '? complex\n: key',
    '1: numeric key',
    'a: [1, 2,]',
    'a: @reserved',
    'a: { b }',
    'a: "unterminated',
    '<<: { a: 1 }',
    '__proto__: 1',
  ];
  for (const text of declined) assert.equal(fastParseYaml(text), undefined, text);
});

test('fast yaml: random documents and mutations never disagree with yaml', () => {
  let seed = 42;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const atoms = [
    'a',
    'b c',
    '1',
    '-1',
    '0x1f',
    '1.5',
    '1.0.0',
    'true',
    'null',
    '~',
    '',
    '"q"',
    "'s'",
    "'it''s'",
    'x # c',
    'http://h:1/p',
    '{ k: v }',
    '[1, b]',
    '{}',
    '[]',
    '-x',
    'a:b',
    '.inf',
    '1e2',
    'é→',
    '#c',
  ];
  const keys = ['id', 'name', 'a', 'b', '"k"', 'x y', 'k-1', 'a'];
  const gen = (indent: number, depth: number): string[] => {
    const pad = ' '.repeat(indent);
    const out: string[] = [];
    const asSeq = depth > 0 && rnd(3) === 0;
    for (let i = 0, n = 1 + rnd(4); i < n; i++) {
      const nest = depth < 3 && rnd(3) === 0;
      const head = asSeq ? `${pad}-` : `${pad}${keys[rnd(keys.length)]}:`;
      if (nest) out.push(head, ...gen(indent + 2, depth + 1));
      else out.push(`${head} ${atoms[rnd(atoms.length)]}`.trimEnd());
    }
    return out;
  };
  const noise = [' ', '\t', ':', '-', '#', '"', "'", '[', '{', '\n', '  ', '&', '*', '!', '|', ',', '}', ']'];
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    let text = gen(0, 0).join('\n') + '\n';
    if (i % 2) {
      for (let m = 0, n = 1 + rnd(3); m < n; m++) {
        const at = rnd(text.length + 1);
        text = text.slice(0, at) + noise[rnd(noise.length)] + text.slice(at);
      }
    }
    if (agrees(text)) accepted++;
  }
  assert.ok(accepted > 500, `the fast path took ${accepted} of 3000 documents`);
  // sanity: the reference parser is the real one
  assert.equal(parseDocument('a: 1').toJS().a, 1);
});
