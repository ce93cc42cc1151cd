import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** Debian's pgbouncer (`apt-get install pgbouncer`; .ci/run installs it). */
export const PGBOUNCER = '/usr/sbin/pgbouncer';

/** Whether the pgbouncer binary is here; tests skip without it, except under CI (see `pgbouncerMissing`). */
export function pgbouncerAvailable(): boolean {
  try {
    accessSync(PGBOUNCER, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether to skip: pgbouncer is missing and this is not CI (under CI, where .ci/run installs it, a missing binary must fail). */
export const pgbouncerMissing = (): boolean => !pgbouncerAvailable() && !process.env.CI;
/** For a describe title: says when it is skipped and what to install. */
export const PGBOUNCER_SKIP_REASON = `skipped where ${PGBOUNCER} is missing: apt-get install pgbouncer`;

export interface PgbouncerLogin {
  user: string;
  /** Plain text: pgbouncer needs it to log in to PostgreSQL for this user (SCRAM or trust alike). */
  password: string;
}

export interface Pgbouncer {
  port: number;
  /** A URL for `database` through this pgbouncer, as `login` (which must be one of `logins`). */
  url(login: PgbouncerLogin, database: string): string;
  /** What pgbouncer wrote to stderr so far (its log): for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** The unprivileged account pgbouncer runs as when we are root (it refuses to run as root). */
function runAsUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const id = (flag: string) => spawnSync('id', [flag, name], { encoding: 'utf8' });
    const uid = id('-u');
    const gid = id('-g');
    if (uid.status === 0 && gid.status === 0) return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root, pgbouncer needs an unprivileged account (postgres or nobody), and neither exists');
}

/** Resolves once something accepts TCP connections on the port; rejects if pgbouncer exits first or after 10 s. */
async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited (${child.exitCode}): ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`pgbouncer did not listen on ${port} within 10 s: ${log()}`);
}

/**
 * A private pgbouncer on a free loopback port in front of the server of `targetUrl` (any
 * database of it: `* = host= port=`), in `poolMode` (default transaction) with `poolSize` server connections
 * per user and database (default 2), so that many client connections really share a few. Clients
 * are not authenticated (auth_type=trust: a test harness); `logins` is its auth_file, whose
 * passwords pgbouncer uses to log in to PostgreSQL. Files live in a fresh directory, removed by
 * `stop`. Source for the settings: pgbouncer(5), Debian's pgbouncer 1.18.
 */
export async function startPgbouncer(
  targetUrl: string,
  logins: PgbouncerLogin[],
  { poolSize = 2, poolMode = 'transaction' }: { poolSize?: number; poolMode?: 'session' | 'transaction' } = {},
): Promise<Pgbouncer> {
  const target = new URL(targetUrl);
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'tenantql-pgbouncer-'));
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  await writeFile(join(dir, 'userlist.txt'), logins.map((l) => `${quote(l.user)} ${quote(l.password)}\n`).join(''), { mode: 0o600 });
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${target.hostname.replace(/^\[|\]$/g, '')} port=${target.port || '5432'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `pool_mode = ${poolMode}`,
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 200',
      // A client waiting longer than this for a server connection gets an error, not a hang.
      'query_wait_timeout = 20',
      'ignore_startup_parameters = extra_float_digits',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const user = runAsUser();
  if (user) {
    await chown(dir, user.uid, user.gid);
    for (const f of ['userlist.txt', 'pgbouncer.ini']) await chown(join(dir, f), user.uid, user.gid);
  }
  await chmod(dir, 0o700);

  // Started by a small sh that ends pgbouncer when our end of its stdin closes: on `stop`, and
  // also when this process dies without running any handler (a worker killed on a timeout), so
  // no pgbouncer outlives its test. (An asynchronous list's stdin is /dev/null in sh, hence fd 3.)
  const watch = 'exec 3<&0; "$@" 3<&- & p=$!; (cat <&3 >/dev/null; kill -TERM $p 2>/dev/null) & wait $p';
  const args = [...(user ? ['-u', user.name] : []), join(dir, 'pgbouncer.ini')];
  const child = spawn('sh', ['-c', watch, 'pgbouncer-watch', PGBOUNCER, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin!.end(); // pgbouncer gets SIGTERM: immediate shutdown, pgbouncer(1) "Signals"
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    url: (login, database) => `postgresql://${encodeURIComponent(login.user)}:${encodeURIComponent(login.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    log: () => stderr,
    stop,
  };
}
