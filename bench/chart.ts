import { readFile, writeFile } from 'node:fs/promises';
import { barChart, type SummaryRow } from './report.js';

// Re-renders the chart of a finished run from its results.json (the chart is generated, never
// edited by hand): `npx tsx bench/chart.ts [bench/results/results.json] [bench/results/results.svg]`.

const [input = 'bench/results/results.json', output = input.replace(/\.json$/, '.svg')] = process.argv.slice(2);
const run = JSON.parse(await readFile(input, 'utf8')) as {
  meta: { smoke: boolean; scale: { organizations: number; documentsPerOrganization: number }; settings: { connections: number; rounds: number; durationSeconds: number } };
  labels: Record<string, string>;
  queries: Record<string, { label: string }>;
  summary: SummaryRow[];
};
const { meta } = run;
// The same title run.ts gives the Markdown and the chart.
const title = `tenantql benchmark${meta.smoke ? ' (smoke)' : ''}: ${meta.scale.organizations} orgs x ${meta.scale.documentsPerOrganization} docs, ${meta.settings.connections} connections, ${meta.settings.rounds} x ${meta.settings.durationSeconds}s`;
const candidates = [...new Set(run.summary.map((r) => r.candidate))];
const queryLabels = Object.fromEntries(Object.entries(run.queries).map(([q, { label }]) => [q, label]));
await writeFile(output, barChart(run.summary, candidates, run.labels, queryLabels, title));
console.log(`wrote ${output}`);
