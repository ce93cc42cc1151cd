export interface SummaryRow {
  candidate: string;
  query: string;
  rounds: number;
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p50: number;
  p99: number;
  statementsPerRequest: number | null;
  cpuMsPerRequest: number | null;
  maxRssMb: number | null;
  ratioToCeiling: number | null;
  /** requests/s over PostGraphile's on the same query (this API's rows only). */
  ratioToPeer: number | null;
  valid: boolean;
}

const fmt = (n: number | null, digits = 0) => (n === null || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

export function markdownTable(rows: SummaryRow[], labels: Record<string, string>, queryLabels: Record<string, string>): string {
  const lines = [
    '| candidate | query | requests/s (median, min-max) | p50 ms | p99 ms | SQL statements / request | server CPU ms / request | peak RSS MB | ratio to ceiling | ratio to peer | valid |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${labels[r.candidate] ?? r.candidate} | ${queryLabels[r.query] ?? r.query} | ${fmt(r.rps)} (${fmt(r.rpsMin)}-${fmt(r.rpsMax)}) | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.statementsPerRequest, 2)} | ${fmt(r.cpuMsPerRequest, 2)} | ${fmt(r.maxRssMb)} | ${r.ratioToCeiling === null ? 'n/a' : r.ratioToCeiling.toFixed(2)} | ${r.ratioToPeer === null ? '' : r.ratioToPeer.toFixed(2)} | ${r.valid ? 'yes' : '**NO**'} |`,
    );
  }
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A grouped bar chart of requests/s, one group per query, one bar per candidate, written by hand. */
export function barChart(rows: SummaryRow[], candidates: string[], labels: Record<string, string>, queryLabels: Record<string, string>, title: string): string {
  const queries = [...new Set(rows.map((r) => r.query))];
  const colours = ['#4c78a8', '#f58518', '#54a24b', '#b279a2'];
  const barW = 46;
  const gap = 10;
  const groupW = candidates.length * barW + (candidates.length - 1) * 4 + gap * 4;
  const left = 70;
  const top = 60;
  const plotH = 300;
  const width = left + queries.length * groupW + 20;
  const height = top + plotH + 40 + candidates.length * 20;
  const max = Math.max(1, ...rows.map((r) => r.rpsMax));
  const step = niceStep(max / 5);
  const yMax = Math.ceil(max / step) * step;
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left}" y="40" fill="#555">requests/s (median of rounds; whisker = min-max); label = ratio to the ceiling</text>`,
  ];
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    out.push(`<line x1="${left}" x2="${width - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${fmt(v)}</text>`);
  }
  queries.forEach((q, qi) => {
    const gx = left + qi * groupW + gap * 2;
    candidates.forEach((c, ci) => {
      const r = rows.find((row) => row.query === q && row.candidate === c);
      if (!r) return;
      const x = gx + ci * (barW + 4);
      out.push(`<rect x="${x}" y="${y(r.rps)}" width="${barW}" height="${top + plotH - y(r.rps)}" fill="${colours[ci % colours.length]}"${r.valid ? '' : ' fill-opacity="0.35"'}/>`);
      out.push(`<line x1="${x + barW / 2}" x2="${x + barW / 2}" y1="${y(r.rpsMin)}" y2="${y(r.rpsMax)}" stroke="#222"/>`);
      const label = r.ratioToCeiling === null ? '' : `${r.ratioToCeiling.toFixed(2)}x`;
      out.push(`<text x="${x + barW / 2}" y="${y(r.rpsMax) - 5}" text-anchor="middle" font-size="11">${label}${r.valid ? '' : ' invalid'}</text>`);
    });
    out.push(`<text x="${gx + (candidates.length * (barW + 4)) / 2}" y="${top + plotH + 18}" text-anchor="middle">${esc(queryLabels[q] ?? q)}</text>`);
  });
  candidates.forEach((c, ci) => {
    const ly = top + plotH + 32 + ci * 20; // one legend line per candidate: the labels are long
    out.push(`<rect x="${left}" y="${ly}" width="12" height="12" fill="${colours[ci % colours.length]}"/>`);
    out.push(`<text x="${left + 18}" y="${ly + 10}">${esc(labels[c] ?? c)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
