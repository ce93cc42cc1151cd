import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// `npx tsx bench/profile-summary.ts <profile dir or .cpuprofile> [window seconds]`: where the API's
// main thread spends a timed run, from a V8 CPU profile written by `npm run bench --
// --api-cpu-prof` (Node's --cpu-prof). Only the busiest window of the profile counts (the
// closed-loop run: start-up, module loading and the idle gaps while other candidates run are
// left out). Prints Markdown: the share of busy time per part of the stack, then the busiest
// functions. Main thread only: V8's GC helper threads and libuv's pool are not in a CPU profile.
// V8 samples on a clock: a thread waiting for a CPU inside a system call is counted there.

/** A V8 CPU profile (the `Profiler.Profile` of the DevTools protocol; times in µs). */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The parts a reader knows, matched on the sample's script URL or native function name, first match wins. */
const PARTS: [part: string, test: (url: string, fn: string) => boolean][] = [
  ['socket writes (write/writev system calls: pg statements, HTTP responses)', (u, f) => !u && (f === 'writeBuffer' || f === 'writev' || f === 'writeUtf8String')],
  ['garbage collection (main thread part)', (u, f) => !u && f === '(garbage collector)'],
  ['graphql-js (parse, validate, execute)', (u) => u.includes('/node_modules/graphql/')],
  ['Apollo Server (request pipeline, JSON)', (u) => u.includes('/node_modules/@apollo/')],
  ['MikroORM + knex (transaction, entity manager)', (u) => /\/node_modules\/(@mikro-orm|knex|tarn)\//.test(u)],
  ['pg driver + protocol + type parsers', (u) => /\/node_modules\/(pg|pg-protocol|pg-types|postgres-date|postgres-array|postgres-interval|postgres-bytea)\//.test(u)],
  ['Fastify + node:http + streams', (u) => /\/node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|secure-json-parse|fast-json-stringify)\//.test(u) || /^node:(_http|internal\/streams|net|internal\/stream_base)/.test(u)],
  ['jose (token verification)', (u) => u.includes('/node_modules/jose/')],
  ['pino (logging)', (u) => u.includes('/node_modules/pino')],
  ['this API (dist/)', (u) => u.includes('/dist/')],
  ['other JavaScript (node: internals, other packages)', (u) => u !== ''],
  ['other native (microtasks, program)', () => true],
];

const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

/** Markdown for one profile: busy ms in the window, per part, and the `top` busiest functions. */
export function summarise(profile: CpuProfile, windowSeconds = 5, top = 15): string {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  let t = profile.startTime;
  const times = profile.timeDeltas.map((d) => (t += d));
  const idle = profile.samples.map((id) => frames.get(id)!.functionName === '(idle)');
  // The busiest window: a sliding window over the samples, counting non-idle ones.
  const width = windowSeconds * 1e6;
  let [best, from, count, j] = [0, profile.startTime, 0, 0];
  for (let i = 0; i < times.length; i++) {
    if (!idle[i]) count++;
    while (times[i]! - times[j]! > width) if (!idle[j++]) count--;
    if (count > best) [best, from] = [count, times[j]!];
  }
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < times.length; i++) {
    if (idle[i] || times[i]! < from || times[i]! > from + width) continue;
    const { functionName, url, lineNumber } = frames.get(profile.samples[i]!)!;
    const dt = profile.timeDeltas[i]!;
    busy += dt;
    const part = PARTS.find(([, test]) => test(url, functionName))![0];
    parts.set(part, (parts.get(part) ?? 0) + dt);
    const where = url ? `${url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}` : 'native';
    const key = `\`${functionName || '(anonymous)'}\` (${where})`;
    functions.set(key, (functions.get(key) ?? 0) + dt);
  }
  const rows = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `| ${k} | ${pct(v, busy)} |`)
      .join('\n');
  return [
    `Main thread busy ${(busy / 1000).toFixed(0)} ms of the busiest ${windowSeconds} s (${pct(busy, width)}).`,
    '',
    '| part of the stack (self time) | share of busy time |',
    '|---|---|',
    rows(parts, PARTS.length),
    '',
    `| busiest functions (self time) | share |`,
    '|---|---|',
    rows(functions, top),
  ].join('\n');
}

// Run as a script (not imported by bench/profile.ts): summarise the profiles named on the command line.
const target = process.argv[2];
if (target && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = target.endsWith('.cpuprofile') ? [target] : readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f));
  for (const file of files) process.stdout.write(`${summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(process.argv[3] ?? 5))}\n`);
}
