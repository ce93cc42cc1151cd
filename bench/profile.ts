import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT } from './processes.js';
import { QUERIES, type QueryName } from './queries.js';
import { summarise } from './profile-summary.js';

// `npm run bench:profile`: where the API's CPU goes, per operation. For each query, one
// `npm run bench` run (ceiling and API, one round, no scale series) with the API under Node's
// --cpu-prof, then bench/profile-summary.ts on its profile; writes <out>/profile.md. The profiler
// slows the API: these runs explain the timed run's figures, they are not themselves timed
// results. Extra arguments after `--` go to every bench run (e.g. --organizations 200).

// --out and --queries are this script's; everything else is passed on to each bench run.
const argv = process.argv.slice(2);
const own = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at === -1 ? undefined : argv.splice(at, 2)[1];
};
const outDir = resolve(ROOT, own('--out') ?? 'bench/results');
const queries = (own('--queries')?.split(',') ?? ['list', 'get', 'create']) as QueryName[];
const positionals = argv;

const sections: string[] = [];
for (const q of queries) {
  const runDir = await mkdtemp(join(tmpdir(), `tenantql-profile-${q}-`));
  console.log(`[profile] ${q}: npm run bench -- --api-cpu-prof --queries ${q} (output in ${runDir})`);
  execFileSync(
    'npm',
    ['run', '-s', 'bench', '--', '--api-cpu-prof', '--queries', q, '--candidates', 'ceiling,api', '--rounds', '1', '--no-scale-series', '--out', runDir, ...positionals],
    { cwd: ROOT, stdio: 'inherit' },
  );
  const dir = join(runDir, 'profile', 'api');
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile in ${dir}`);
  const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { runs: { candidate: string; rps: number; cpuMsPerRequest: number | null }[] };
  const run = (c: string) => {
    const r = results.runs.find((x) => x.candidate === c);
    return r ? `${c} ${r.rps.toFixed(0)} requests/s, ${r.cpuMsPerRequest?.toFixed(2) ?? '?'} ms process CPU per request` : `${c}: no run`;
  };
  sections.push(
    `## ${QUERIES[q].label}\n\nIn this profiled run (the profiler slows the API): ${run('ceiling')}; ${run('api')}.\n\n${summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')))}`,
  );
}

const header = `# Where the API's time goes: CPU profiles

Made by \`npm run bench:profile${positionals.length ? ` -- ${positionals.join(' ')}` : ''}\` on ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}).
Each section: one \`npm run bench\` run of one query (ceiling and API, 16 connections, one closed-loop round), the API under \`--cpu-prof\`;
the busiest 5 s of its main thread (the closed-loop run), self time grouped by where the code comes from (bench/profile-summary.ts).
How to read it: V8 samples the main thread's stack on a clock, also while the thread waits for a CPU. On 2 cores shared
with PostgreSQL and the load generator, a write to a socket wakes its reader, which often takes the CPU: that wait is counted in
"socket writes", so their share is an upper bound of what the system calls cost. The process CPU per request above (utime + stime
from /proc) is the cost that decides throughput when the machine is saturated.
`;
await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, 'profile.md'), `${header}\n${sections.join('\n\n')}\n`);
console.log(`[profile] written ${join(outDir, 'profile.md')}`);
