import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { EmbeddedDatabaseError } from './embedded-error.js';

const run = promisify(execFile);

/** The operating-system account the embedded server runs as when we are root. */
export interface ServerAccount {
  name: string;
  uid: number;
  gid: number;
}

const ACCOUNT = 'postgres';

/**
 * PostgreSQL refuses to run as root ("root" execution of the PostgreSQL server is not
 * permitted), so a root process runs it as the `postgres` account, created (a system account
 * without a home or login shell) when missing. Undefined when not root: the server then runs as
 * the current user. Throws EmbeddedDatabaseError when the account cannot be found or created.
 */
export async function serverAccount(): Promise<ServerAccount | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const found = await lookUp(ACCOUNT);
  if (found) return found;
  try {
    // groupadd exits 9 when the group exists already: fine, useradd joins it.
    await run('groupadd', ['--system', ACCOUNT]).catch((err: { code?: unknown }) => {
      if (err.code !== 9) throw err;
    });
    await run('useradd', ['--system', '--gid', ACCOUNT, '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', ACCOUNT]);
  } catch (err) {
    const why = (err as { stderr?: string }).stderr?.trim() || String(err);
    throw new EmbeddedDatabaseError(
      `Running as root, the embedded PostgreSQL needs a "${ACCOUNT}" account to run as and creating it failed (${why}): create one (useradd --system ${ACCOUNT}), start as another user, or set DATABASE_URL.`,
    );
  }
  const created = await lookUp(ACCOUNT);
  if (!created) throw new EmbeddedDatabaseError(`The "${ACCOUNT}" account was created but cannot be looked up: set DATABASE_URL to use your own PostgreSQL server.`);
  return created;
}

async function lookUp(name: string): Promise<ServerAccount | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Whether `account` can search (execute) every one of `paths`: directories it must pass through
 * or programs it must run. Asked of the system itself, by a shell running as that account with
 * only its primary group (as spawn's uid/gid leave it: libuv drops supplementary groups), so
 * every parent directory's mode, ownership and ACL count exactly as they will for the server.
 */
export function accountCanReach(account: ServerAccount, paths: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'for p do [ -x "$p" ] || exit 1; done', 'sh', ...paths], {
      uid: account.uid,
      gid: account.gid,
      cwd: '/',
      stdio: 'ignore',
    });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}
