import { structuredPatch } from 'diff';

/**
 * A unified diff (`--- before`, `+++ after`, `@@` hunks with `context` lines around each change), as `diff -u` and
 * `kubectl diff` print it; "" when the texts are equal.
 */
export function unifiedDiff(before: string, after: string, labels: { readonly before: string; readonly after: string }, context = 3): string {
  if (before === after) return '';
  const patch = structuredPatch(labels.before, labels.after, before, after, '', '', { context });
  const lines = [`--- ${labels.before}`, `+++ ${labels.after}`];
  for (const hunk of patch.hunks) {
    lines.push(`@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`, ...hunk.lines);
  }
  return `${lines.join('\n')}\n`;
}

/** "start,count", with count omitted when it is 1 (as diff -u writes it). */
function range(start: number, count: number): string {
  return count === 1 ? String(start) : `${start},${count}`;
}
