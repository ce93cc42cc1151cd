import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import type { Dialect } from './queries.js';

// Starting, watching and stopping the candidate processes; what /proc says about them.

export const ROOT = resolve(import.meta.dirname, '..');
/** The peer and its Node 22 live in bench/peer/, installed on demand: the project installs neither. */
export const PEER_DIR = resolve(ROOT, 'bench/peer');

const children: ChildProcess[] = [];

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createNetServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

export interface NodeBinary {
  path: string;
  version: string;
}

export interface Candidate {
  name: string;
  label: string;
  url: string;
  process: ChildProcess;
  dialect: Dialect;
  /** `node --version` of the binary it runs on. */
  runtime: string;
  /** The binary itself (the token-verification cost is measured on it). */
  nodePath: string;
  /** The databases its SQL goes to, for pg_stat_statements (default: the benchmark database). */
  databases?: string[];
}

function nodeVersion(path: string): string | null {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

export function ensurePeerInstalled(): void {
  if (existsSync(resolve(PEER_DIR, 'node_modules/postgraphile')) && existsSync(resolve(PEER_DIR, 'node_modules/node/bin/node'))) return;
  console.log('[bench] installing the peer (bench/peer: postgraphile, node@22) from the npm registry');
  const res = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: PEER_DIR, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('`npm ci` in bench/peer failed');
}

/** A Node binary of the given major version: npm's own node, this process, PATH, then bench/peer's node@22. */
export function findNode(major: number): NodeBinary | null {
  const paths = [
    process.env.npm_node_execpath,
    process.execPath,
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'node')),
    resolve(PEER_DIR, 'node_modules/node/bin/node'),
  ];
  for (const path of paths) {
    if (!path || !existsSync(path)) continue;
    const version = nodeVersion(path);
    if (version && Number(/^v(\d+)/.exec(version)?.[1]) === major) return { path, version };
  }
  return null;
}

export async function startCandidate(
  name: string,
  label: string,
  script: string,
  env: Record<string, string>,
  opts: { node: NodeBinary; logDir: string; dialect?: Dialect; nodeFlags?: string[]; databases?: string[] },
): Promise<Candidate> {
  const nodeFlags = opts.nodeFlags ?? [];
  const port = await freePort();
  const log = createWriteStream(resolve(opts.logDir, `${name}.log`));
  // `node --import tsx` rather than the tsx CLI: one process, so its pid is the server's (CPU, RSS).
  // Compiled JavaScript (the API's dist/) runs without the loader, as deployed.
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(opts.node.path, [...nodeFlags, ...loader, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} during start-up: see ${name}.log`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok).catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${name} did not become healthy within 90 s: see ${name}.log`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    name,
    label: `${label}, Node ${opts.node.version}`,
    url,
    process: child,
    dialect: opts.dialect ?? 'tenantql',
    runtime: opts.node.version,
    nodePath: opts.node.path,
    ...(opts.databases ? { databases: opts.databases } : {}),
  };
}

/** A candidate that died mid-run (or was killed from outside) fails the run with a clear cause, not thousands of socket errors. */
export function assertAlive(c: Candidate): void {
  const { exitCode, signalCode } = c.process;
  if (exitCode !== null || signalCode !== null) throw new Error(`${c.name} (pid ${c.process.pid}) is gone: exit code ${exitCode}, signal ${signalCode}; see ${c.name}.log`);
}

/** SIGTERM, then SIGKILL after 10 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Every candidate this process started. */
export async function stopAllCandidates(): Promise<void> {
  for (const child of children) await stopProcess(child);
}

/** utime + stime of a process (all its threads), in ms (Linux /proc; null elsewhere). */
export function cpuMs(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // CLK_TCK = 100 on Linux
  } catch {
    return null;
  }
}

function statusMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Resident set size now, MB. */
export const rssMb = (pid: number | undefined) => statusMb(pid, 'VmRSS');
/** The highest resident set size the process has had since it started (the kernel's high-water mark), MB. */
export const peakRssMb = (pid: number | undefined) => statusMb(pid, 'VmHWM');

/**
 * The Node flags `npm run start:prod` gives the API (package.json: `node <flags> dist/main.js`),
 * so that every API candidate runs with the flags production runs with (the heap sizing among
 * them); a start:prod of another shape is an error here rather than a silent difference.
 */
export function startProdNodeFlags(): string[] {
  const script = (JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start:prod'] ?? '';
  const words = script.trim().split(/\s+/);
  const main = words.indexOf('dist/main.js');
  if (words[0] !== 'node' || main < 0) throw new Error(`package.json start:prod is not "node [flags] dist/main.js": ${script}`);
  return words.slice(1, main);
}
