/**
 * Wildcard patterns matched without regular expressions, in time bounded by O(length of value × length of pattern)
 * whatever the input: a pattern and a value both come from outside (policies, pull secrets, pod specs), and a
 * backtracking RegExp of `************z` blocked the event loop for 27 s on a 30-character host.
 *
 * The pattern is cut at its stars into segments of single-character matchers. The first segment must match at the
 * start, the last at the end, and each one between at its leftmost place after the previous one: taking the leftmost
 * place never loses a match, since whatever a later place leaves to match is also left by an earlier one. So each
 * segment is looked for once, from where the previous one ended, and never retried. A literal segment is found with
 * indexOf, one of up to 31 characters with wildcards by shift-and (one step per character of the value), a longer
 * one by trying each place (the O(n × m) bound).
 */

/**
 * - `glob`: `*` matches any run of characters (including "/"), `?` one character; everything else is literal.
 * - `filepath`: Go's `filepath.Match` within one name (kubelet's credentialprovider matches each DNS label and the
 *   port this way): also `[abc]`, `[a-z]`, `[^x]` (and `[!x]`) classes, and `\` escaping the next character. A
 *   malformed pattern (`[a`, `[]`, a trailing `\`) matches nothing, as `filepath.ErrBadPattern` makes kubelet skip
 *   the key. Names matched this way never contain the separator "/", so `*` and `?` take any character.
 */
export type WildcardSyntax = 'glob' | 'filepath';

export type WildcardMatcher = (value: string) => boolean;

/**
 * One segment, a character per element: a code point (>= 0), ANY (-1), or a class (CLASS_BASE - index into classes).
 * Typed arrays keep the inner loop monomorphic: 1 MiB against a 30-character segment takes milliseconds.
 */
interface Segment {
  readonly codes: Int32Array;
  /** The segment as a string when all its characters are literal: found with indexOf. */
  readonly literal: string | undefined;
  /**
   * For a segment of 1 to 31 characters with wildcards: per ASCII code, the bit mask of the segment's positions that
   * accept it (shift-and search, one step per character of the value whatever the segment).
   */
  readonly asciiMasks: Int32Array | undefined;
}

interface CharClass {
  readonly negated: boolean;
  /** Inclusive code point ranges, as [low, high] pairs flattened. */
  readonly ranges: readonly number[];
}

interface Compiled {
  readonly segments: readonly Segment[];
  readonly classes: readonly CharClass[];
}

/** A value as code points, and as its string when string indexes are code point indexes (no surrogate pairs). */
interface Subject {
  readonly codes: Int32Array;
  readonly text: string | undefined;
}

const ANY = -1;
const CLASS_BASE = -2;
const NOTHING: WildcardMatcher = () => false;

/** Compiles `pattern` once; the matcher is pure and may be called any number of times. */
export function compileWildcard(pattern: string, syntax: WildcardSyntax): WildcardMatcher {
  const compiled = parse(pattern, syntax);
  if (compiled === undefined) return NOTHING;
  const only = compiled.segments.length === 1 ? compiled.segments[0] : undefined;
  if (only?.literal !== undefined) {
    const literal = only.literal;
    return (value) => value === literal;
  }
  return (value) => matchSegments(compiled, subjectOf(value));
}

function matchSegments({ segments, classes }: Compiled, subject: Subject): boolean {
  const first = segments[0];
  const last = segments[segments.length - 1];
  if (first === undefined || last === undefined) return false;
  const n = subject.codes.length;
  if (segments.length === 1) return n === first.codes.length && matchAt(first.codes, classes, subject.codes, 0);
  // Stars in between: the first segment is a prefix, the last a suffix, and they may not overlap.
  const end = n - last.codes.length;
  if (end < first.codes.length || !matchAt(first.codes, classes, subject.codes, 0) || !matchAt(last.codes, classes, subject.codes, end)) return false;
  let from = first.codes.length;
  for (let s = 1; s < segments.length - 1; s++) {
    const segment = segments[s];
    if (segment === undefined) return false;
    const at = find(segment, classes, subject, from, end);
    if (at === -1) return false;
    from = at + segment.codes.length;
  }
  return true;
}

/** The leftmost index in [from, end - length] where the segment matches, or -1. */
function find(segment: Segment, classes: readonly CharClass[], subject: Subject, from: number, end: number): number {
  const lastStart = end - segment.codes.length;
  if (segment.literal !== undefined && subject.text !== undefined) {
    const at = subject.text.indexOf(segment.literal, from);
    return at !== -1 && at <= lastStart ? at : -1;
  }
  if (segment.asciiMasks !== undefined) return shiftAnd(segment, segment.asciiMasks, classes, subject.codes, from, end);
  for (let at = from; at <= lastStart; at++) if (matchAt(segment.codes, classes, subject.codes, at)) return at;
  return -1;
}

/** Shift-and (Baeza-Yates-Gonnet): bit i of `state` says the segment's first i+1 characters end at the current one. */
function shiftAnd(segment: Segment, asciiMasks: Int32Array, classes: readonly CharClass[], codes: Int32Array, from: number, end: number): number {
  const length = segment.codes.length;
  const found = 1 << (length - 1);
  let state = 0;
  for (let i = from; i < end; i++) {
    const c = codes[i] ?? -1;
    state = ((state << 1) | 1) & (c >= 0 && c < 128 ? (asciiMasks[c] ?? 0) : maskOf(segment.codes, classes, c));
    if ((state & found) !== 0) return i - length + 1;
  }
  return -1;
}

/** The positions of a segment that accept code point `c`, as bits. */
function maskOf(pattern: Int32Array, classes: readonly CharClass[], c: number): number {
  let mask = 0;
  for (let i = 0; i < pattern.length; i++) if (accepts(pattern[i] ?? ANY, classes, c)) mask |= 1 << i;
  return mask;
}

function accepts(p: number, classes: readonly CharClass[], c: number): boolean {
  if (p === ANY) return true;
  if (p >= 0) return p === c;
  const cls = classes[CLASS_BASE - p];
  return cls !== undefined && inClass(cls, c);
}

/** Whether the pattern codes match the value codes from `at` (the caller checked that they fit). */
function matchAt(pattern: Int32Array, classes: readonly CharClass[], codes: Int32Array, at: number): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? ANY;
    if (p === ANY) continue;
    const c = codes[at + i] ?? -1;
    if (p >= 0 ? p !== c : !accepts(p, classes, c)) return false;
  }
  return true;
}

function inClass(cls: CharClass, code: number): boolean {
  let inside = false;
  for (let i = 0; i + 1 < cls.ranges.length; i += 2) {
    if ((cls.ranges[i] ?? 0) <= code && code <= (cls.ranges[i + 1] ?? -1)) {
      inside = true;
      break;
    }
  }
  return inside !== cls.negated;
}

function subjectOf(value: string): Subject {
  const codes = new Int32Array(value.length);
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const low = unit >= 0xd800 && unit <= 0xdbff ? value.charCodeAt(i + 1) : Number.NaN;
    if (low >= 0xdc00 && low <= 0xdfff) {
      codes[n++] = (unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
      i++;
    } else codes[n++] = unit;
  }
  return n === value.length ? { codes, text: value } : { codes: codes.subarray(0, n), text: undefined };
}

/** The segments between the stars (the first and last may be empty; empty ones between are dropped), or undefined for a malformed pattern. */
function parse(pattern: string, syntax: WildcardSyntax): Compiled | undefined {
  const cps = Array.from(pattern);
  const segments: Segment[] = [];
  const classes: CharClass[] = [];
  let current: number[] = [];
  const close = (): void => {
    const codes = Int32Array.from(current);
    const literal = current.every((c) => c >= 0) ? current.map((c) => String.fromCodePoint(c)).join('') : undefined;
    const asciiMasks = literal === undefined && codes.length <= 31 ? Int32Array.from({ length: 128 }, (_, c) => maskOf(codes, classes, c)) : undefined;
    segments.push({ codes, literal, asciiMasks });
    current = [];
  };
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] ?? '';
    if (c === '*') {
      // Consecutive stars are one star: an empty segment between them would be found everywhere.
      if (current.length > 0 || segments.length === 0) close();
      continue;
    }
    if (c === '?') current.push(ANY);
    else if (syntax === 'filepath' && c === '\\') {
      const next = cps[++i];
      if (next === undefined) return undefined;
      current.push(codeOf(next));
    } else if (syntax === 'filepath' && c === '[') {
      const parsed = parseClass(cps, i + 1);
      if (parsed === undefined) return undefined;
      current.push(CLASS_BASE - classes.length);
      classes.push(parsed.cls);
      i = parsed.end;
    } else current.push(codeOf(c));
  }
  close();
  return { segments, classes };
}

const codeOf = (char: string): number => char.codePointAt(0) ?? 0;

/**
 * A class as filepath.Match reads it, from just after `[`: `^` (or `!`) negates; then ranges `lo` or `lo-hi`, where
 * each end may be `\`-escaped and an unescaped `-` or `]` is malformed, until the `]` after at least one range.
 * Returns the class and the index of its `]`.
 */
function parseClass(cps: readonly string[], start: number): { cls: CharClass; end: number } | undefined {
  let i = start;
  const negated = cps[i] === '^' || cps[i] === '!';
  if (negated) i++;
  const ranges: number[] = [];
  for (;;) {
    if (cps[i] === ']' && ranges.length > 0) return { cls: { negated, ranges }, end: i };
    const low = classChar(cps, i);
    if (low === undefined) return undefined;
    i = low.next;
    let high = low;
    if (cps[i] === '-') {
      const parsed = classChar(cps, i + 1);
      if (parsed === undefined) return undefined;
      high = parsed;
      i = parsed.next;
    }
    ranges.push(low.code, high.code);
  }
}

/** filepath.Match's getEsc: one (possibly escaped) class character; malformed at the pattern's end or on `-`/`]`. */
function classChar(cps: readonly string[], at: number): { code: number; next: number } | undefined {
  let c = cps[at];
  let next = at + 1;
  if (c === undefined || c === '-' || c === ']') return undefined;
  if (c === '\\') {
    c = cps[next++];
    if (c === undefined) return undefined;
  }
  // The class must still be closed after this character.
  if (next >= cps.length) return undefined;
  return { code: codeOf(c), next };
}
