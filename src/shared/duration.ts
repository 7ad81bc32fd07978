/**
 * Go's duration syntax as Kubernetes writes it (`time.Duration.String()`, metav1.Duration): "10s", "1m30s",
 * "500ms", "12h0m0s". The API server's `?timeout=`, the kubelet's credential provider config and responses, and the
 * CLI's duration flags use it.
 *
 * What Go's time.ParseDuration reads, less the sign (a negative duration means nothing to any caller here): one or
 * more decimal numbers each followed by a unit (`ns`, `us`/`µs`/`μs`, `ms`, `s`, `m`, `h`), e.g. `300ms`, `1.5h`,
 * `2h45m`; or `0` alone. One pass over the text, no regular expression: request data reaches it, so its cost is
 * linear in the input whatever the input is.
 */

/** Milliseconds per unit. A Map, not an object: a unit like `constructor` must not find a prototype property. */
const UNIT_MS: ReadonlyMap<string, number> = new Map([
  ['ns', 1e-6],
  ['us', 1e-3],
  ['\u00b5s', 1e-3], // µ MICRO SIGN, as Go accepts
  ['\u03bcs', 1e-3], // μ GREEK SMALL LETTER MU, as Go accepts
  ['ms', 1],
  ['s', 1_000],
  ['m', 60_000],
  ['h', 3_600_000],
]);

const DOT = 46;
const isDigit = (code: number): boolean => code >= 48 && code <= 57;

/**
 * Milliseconds of a Go duration (fractional below 1 ms); undefined when absent or invalid (a bare number other than
 * 0 has no unit: invalid).
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  let total = 0;
  let i = 0;
  while (i < text.length) {
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    const integerDigits = i - start;
    let fractionDigits = 0;
    if (text.charCodeAt(i) === DOT) {
      i++;
      const fractionStart = i;
      while (i < text.length && isDigit(text.charCodeAt(i))) i++;
      fractionDigits = i - fractionStart;
    }
    if (integerDigits === 0 && fractionDigits === 0) return undefined;
    const amount = Number(text.slice(start, i));
    const unitStart = i;
    while (i < text.length && !isDigit(text.charCodeAt(i)) && text.charCodeAt(i) !== DOT) i++;
    const unit = UNIT_MS.get(text.slice(unitStart, i));
    if (unit === undefined) return undefined;
    total += amount * unit;
  }
  return Number.isFinite(total) ? total : undefined;
}
