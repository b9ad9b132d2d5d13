// A fast path for the plain YAML most plugin.yaml files are written in (block mappings and
// sequences, one-line scalars and flow collections): ~20× cheaper than the full parser.
// Anything outside that subset, or anything the full parser would report, returns undefined
// and the caller falls back to `yaml`, which stays the reference (positions, errors, duplicates).

interface Line {
  indent: number;
  text: string;
}

/** Thrown to leave the fast path: the document is outside the subset (not necessarily wrong). */
const BAIL: unique symbol = Symbol('bail');

function bail(): never {
  throw BAIL;
}

// yaml's core schema (YAML 1.2), tested in the same order as `yaml` tests its tags
const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const OCT_RE = /^0o[0-7]+$/;
const INT_RE = /^[-+]?[0-9]+$/;
const HEX_RE = /^0x[0-9a-fA-F]+$/;
const NAN_INF_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

function resolvePlain(s: string): unknown {
  if (NULL_RE.test(s)) return null;
  if (BOOL_RE.test(s)) return s[0] === 't' || s[0] === 'T';
  if (OCT_RE.test(s)) return parseInt(s.substring(2), 8);
  if (INT_RE.test(s)) return parseInt(s, 10);
  if (HEX_RE.test(s)) return parseInt(s.substring(2), 16);
  if (NAN_INF_RE.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? -Infinity : Infinity;
  if (EXP_RE.test(s) || FLOAT_RE.test(s)) return parseFloat(s);
  return s;
}

/** Characters a plain scalar may not start with (YAML indicators), '-' aside. */
const INDICATORS = new Set(['?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

function checkPlainStart(s: string): void {
  const c = s[0];
  if (c === undefined || INDICATORS.has(c)) bail();
  if (c === '-' && (s.length === 1 || s[1] === ' ')) bail();
}

/** A plain scalar filling the rest of a block line (comment cut off). Multi-line forms never get here. */
function blockPlain(s: string): string {
  checkPlainStart(s);
  const hash = s.indexOf(' #');
  const v = (hash === -1 ? s : s.slice(0, hash)).trimEnd();
  // "a: b" inside a value, or a trailing ':', would be a nested implicit key: an error for yaml
  if (v.includes(': ') || v.endsWith(':')) bail();
  return v;
}

/** Quoted scalar starting at s[i]; returns the string and the index after its closing quote. */
function quoted(s: string, i: number): [string, number] {
  const q = s[i];
  if (q === '"') {
    const end = s.indexOf('"', i + 1);
    if (end === -1) bail();
    const body = s.slice(i + 1, end);
    if (body.includes('\\')) bail(); // escapes: let yaml decode them
    return [body, end + 1];
  }
  let out = '';
  let j = i + 1;
  for (;;) {
    const end = s.indexOf("'", j);
    if (end === -1) bail();
    out += s.slice(j, end);
    if (s[end + 1] === "'") {
      out += "'";
      j = end + 2;
    } else {
      return [out, end + 1];
    }
  }
}

/** Only spaces and an optional comment may follow a complete value on its line. */
function expectEnd(s: string, i: number): void {
  let j = i;
  while (s[j] === ' ') j++;
  if (j < s.length && !(s[j] === '#' && j > i)) bail();
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  // duplicates are the full parser's to report; "__proto__" and "<<" have special meanings there
  if (key === '__proto__' || key === '<<' || Object.prototype.hasOwnProperty.call(obj, key)) bail();
  obj[key] = value;
}

function isStringKey(raw: string): boolean {
  return typeof resolvePlain(raw) === 'string';
}

/** One-line flow collection starting at s[i] ('[' or '{'); returns the value and the index after it. */
function flow(s: string, i: number, depth = 0): [unknown, number] {
  if (depth > 20) bail();
  const open = s[i];
  const close = open === '[' ? ']' : '}';
  const out: unknown = open === '[' ? [] : {};
  let j = i + 1;
  const skip = (): void => {
    while (s[j] === ' ') j++;
  };
  skip();
  if (s[j] === close) return [out, j + 1];
  for (;;) {
    skip();
    let key: string | undefined;
    if (open === '{') {
      const [k, after] = flowScalar(s, j, true);
      if (typeof k !== 'string') bail();
      key = k;
      j = after;
      if (s[j] !== ':' || s[j + 1] !== ' ') bail();
      j += 2;
      skip();
    }
    let value: unknown;
    if (s[j] === '[' || s[j] === '{') [value, j] = flow(s, j, depth + 1);
    else [value, j] = flowScalar(s, j, false);
    if (key !== undefined) setKey(out as Record<string, unknown>, key, value);
    else (out as unknown[]).push(value);
    skip();
    if (s[j] === ',') {
      j++;
      skip();
      if (s[j] === close) bail(); // trailing comma: leave it to yaml
      continue;
    }
    if (s[j] === close) return [out, j + 1];
    bail();
  }
}

/** A scalar inside a flow collection; `asKey` keeps only keys that are strings. */
function flowScalar(s: string, i: number, asKey: boolean): [unknown, number] {
  const c = s[i];
  if (c === '"' || c === "'") return quoted(s, i);
  checkPlainStart(s.slice(i, i + 2));
  let j = i;
  while (j < s.length) {
    const ch = s[j]!;
    if (ch === ',' || ch === ']' || ch === '}' || ch === '[' || ch === '{' || ch === '#') break;
    if (ch === ':' && (s[j + 1] === ' ' || s[j + 1] === ',' || s[j + 1] === ']' || s[j + 1] === '}' || j + 1 === s.length)) break;
    j++;
  }
  if (s[j] === '[' || s[j] === '{' || s[j] === '#') bail();
  const raw = s.slice(i, j).trimEnd();
  if (raw === '') bail();
  if (asKey) {
    if (!isStringKey(raw)) bail();
    return [raw, j];
  }
  if (s[j] === ':') bail(); // a pair inside a sequence, or a nested key
  return [resolvePlain(raw), j];
}

class FastParser {
  private pos = 0;

  constructor(private readonly lines: Line[]) {}

  private peek(): Line | undefined {
    return this.lines[this.pos];
  }

  document(): Record<string, unknown> {
    const first = this.peek();
    if (!first || first.indent !== 0 || isSeqItem(first.text)) bail();
    const value = this.mapping(0);
    if (this.pos !== this.lines.length) bail();
    return value;
  }

  /** Whatever block starts at the next line (its indent, deeper than `parent`), or null when none does. */
  private nested(parent: number, allowSeqAtParent: boolean): unknown {
    const next = this.peek();
    if (!next) return null;
    if (next.indent > parent) return isSeqItem(next.text) ? this.sequence(next.indent) : this.mapping(next.indent);
    if (allowSeqAtParent && next.indent === parent && isSeqItem(next.text)) return this.sequence(parent);
    return null;
  }

  private mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let line = this.peek(); line && line.indent >= indent; line = this.peek()) {
      if (line.indent > indent || isSeqItem(line.text)) bail();
      this.pos++;
      const s = line.text;
      let key: string;
      let i: number;
      if (s[0] === '"' || s[0] === "'") {
        [key, i] = quoted(s, 0);
        if (s[i] !== ':') bail();
      } else {
        const colon = s.search(/:(?: |$)/);
        if (colon <= 0) bail();
        key = s.slice(0, colon);
        checkPlainStart(key);
        if (key.includes('#') || key.endsWith(' ') || key.length > 1000 || !isStringKey(key)) bail();
        i = colon;
      }
      i++; // past ':'
      while (s[i] === ' ') i++;
      if (i >= s.length || s[i] === '#') {
        setKey(out, key, this.nested(indent, true));
        continue;
      }
      setKey(out, key, this.inline(s, i, indent));
    }
    return out;
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let line = this.peek(); line && line.indent >= indent; line = this.peek()) {
      if (line.indent > indent || !isSeqItem(line.text)) {
        if (line.indent > indent) bail();
        break;
      }
      const s = line.text;
      let i = 1;
      while (s[i] === ' ') i++;
      if (i >= s.length || s[i] === '#') {
        this.pos++;
        out.push(this.nested(indent, false));
        continue;
      }
      const rest = s.slice(i);
      if (isSeqItem(rest) || /^(?:"[^"]*"|'[^']*'|[^'"[{#][^#]*?):(?: |$)/.test(rest)) {
        // "- key: value" or "- - x": the rest of the line opens a block at its own column
        this.lines[this.pos] = { indent: indent + i, text: rest };
        out.push(isSeqItem(rest) ? this.sequence(indent + i) : this.mapping(indent + i));
        continue;
      }
      this.pos++;
      out.push(this.inline(s, i, indent));
    }
    return out;
  }

  /** A value written on its key's (or dash's) line; the next line must not continue it. */
  private inline(s: string, i: number, indent: number): unknown {
    const c = s[i];
    let value: unknown;
    if (c === '[' || c === '{') {
      const [v, end] = flow(s, i);
      expectEnd(s, end);
      value = v;
    } else if (c === '"' || c === "'") {
      const [v, end] = quoted(s, i);
      expectEnd(s, end);
      value = v;
    } else {
      value = resolvePlain(blockPlain(s.slice(i)));
    }
    const next = this.peek();
    if (next && next.indent > indent) bail(); // a multi-line scalar, or a stray deeper line
    return value;
  }
}

function isSeqItem(text: string): boolean {
  return text[0] === '-' && (text.length === 1 || text[1] === ' ');
}

// Tabs, CR, control and special line-break characters, a BOM: all left to the full parser.
// eslint-disable-next-line no-control-regex
const UNSUPPORTED = /[\t\r\x00-\x08\x0b-\x1f\x7f\u0085\u2028\u2029\ufeff]/;

/**
 * The plain JS value of `text` when it is a block mapping in the simple subset, parsed exactly as
 * `yaml` (core schema) would, with no syntax errors and no duplicate keys; undefined otherwise.
 */
export function fastParseYaml(text: string): Record<string, unknown> | undefined {
  if (text.length > 256 * 1024 || UNSUPPORTED.test(text)) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    let indent = 0;
    while (raw.charCodeAt(indent) === 32) indent++;
    const body = raw.slice(indent);
    if (body === '' || body[0] === '#') continue;
    if (indent === 0 && (body.startsWith('---') || body.startsWith('...') || body[0] === '%')) return undefined;
    lines.push({ indent, text: body.trimEnd() });
  }
  try {
    return new FastParser(lines).document();
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  }
}
