/** A table cell: text, a number, or null for a value that is unknown (printed `?`). */
export type Cell = string | number | null;

/**
 * A plain-text table: a header row, a rule, then one line per row, columns padded to their
 * widest cell. A column of numbers (unknowns among them) is right-aligned, its `?` too, so the
 * digits line up. For people; scripts use `--json`.
 */
export function renderTable(header: string[], rows: Cell[][]): string {
  const text = (c: Cell | undefined) => (c === null ? '?' : String(c ?? ''));
  const cells = [header, ...rows.map((r) => r.map(text))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.some((r) => typeof r[i] === 'number') && rows.every((r) => typeof r[i] === 'number' || r[i] === null));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(r.map(text)))].join('\n');
}
