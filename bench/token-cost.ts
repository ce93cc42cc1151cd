import { createAuthenticator } from '../src/auth/authenticate.js';
import { loadConfig } from '../src/config/index.js';
import { verifyBearer } from './candidate.js';

/**
 * Run by bench/measure.ts on each candidate's Node binary: CPU time per token verification, as
 * each server does it, over the run's tokens (JSON array on stdin; ordinary, valid tokens).
 * - `api`: the API's own authenticator (src/auth/authenticate.ts), built from the API's config
 *   with the run's secret: header parse, decodeProtectedHeader, jose jwtVerify (HS256, issuer,
 *   audience, required claims).
 * - `bench`: bench/candidate.ts's verifyBearer (the ceiling and the peer): the same jose call.
 * Both verifiers in alternating blocks, the median block; VERIFY_CONCURRENCY verifications in
 * flight (the load's connections), then one at a time. process.cpuUsage() counts every thread
 * (jose's HMAC runs on WebCrypto), as /proc does for the servers. Prints one JSON line.
 *
 * Env: JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, DATABASE_URL, VERIFY_ITERATIONS, VERIFY_CONCURRENCY.
 */

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const tokens = JSON.parse(Buffer.concat(chunks).toString('utf8')) as string[];
if (tokens.length === 0) throw new Error('no tokens on stdin');
const headers = tokens.map((t) => `Bearer ${t}`);
const iterations = Number(process.env.VERIFY_ITERATIONS ?? 20_000);

const config = loadConfig({
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  JWT_SECRET: process.env.JWT_SECRET!,
  DATABASE_URL: process.env.DATABASE_URL!,
});
if (config.jwt.issuer !== process.env.JWT_ISSUER || config.jwt.audience !== process.env.JWT_AUDIENCE) {
  throw new Error(`the API's issuer/audience (${config.jwt.issuer}, ${config.jwt.audience}) are not the run's`);
}
const authenticate = createAuthenticator(config);

const BLOCKS = 5;
const concurrency = Math.max(1, Number(process.env.VERIFY_CONCURRENCY ?? 1));

/** CPU and wall µs per verification over `n` verifications, `inFlight` at a time. */
async function block(verify: (header: string) => Promise<unknown>, n: number, offset: number, inFlight: number): Promise<{ cpuUs: number; wallUs: number }> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        if (!(await verify(headers[(offset + i) % headers.length]!))) throw new Error('a token did not verify');
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / n, wallUs: ((performance.now() - wall0) * 1000) / n };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const verifiers = { api: authenticate, bench: verifyBearer };
type Kind = keyof typeof verifiers;
// Warm-up (JIT, jose's key handling), then both verifiers in alternating blocks: the median block
// is robust to a burst of other load on the machine and neither verifier always runs second.
for (const v of Object.values(verifiers)) await block(v, Math.max(500, iterations / 10), 0, concurrency);
const perBlock = Math.ceil(iterations / BLOCKS);
async function measure(inFlight: number): Promise<Record<Kind, { cpu: number; wall: number }>> {
  const results: Record<Kind, { cpuUs: number; wallUs: number }[]> = { api: [], bench: [] };
  for (let b = 0; b < BLOCKS; b++) {
    const order = b % 2 ? (['bench', 'api'] as const) : (['api', 'bench'] as const);
    for (const k of order) results[k].push(await block(verifiers[k], perBlock, b * perBlock, inFlight));
  }
  const summary = (k: Kind) => ({ cpu: median(results[k].map((r) => r.cpuUs)), wall: median(results[k].map((r) => r.wallUs)) });
  return { api: summary('api'), bench: summary('bench') };
}
// With `concurrency` in flight, as a server under load has them (jose's HMAC is a WebCrypto job on
// libuv's threadpool: one at a time, each pays a thread hand-off and wake-up that a busy server
// shares); and one at a time, the upper bound.
const loaded = await measure(concurrency);
const sequential = concurrency > 1 ? await measure(1) : loaded;
console.log(
  JSON.stringify({
    runtime: process.version,
    concurrency,
    apiCpuUs: loaded.api.cpu,
    benchCpuUs: loaded.bench.cpu,
    apiWallUs: loaded.api.wall,
    benchWallUs: loaded.bench.wall,
    apiCpuUsSequential: sequential.api.cpu,
    benchCpuUsSequential: sequential.bench.cpu,
    iterations: perBlock * BLOCKS,
  }),
);
