import { execFile } from 'node:child_process';
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * What the entry point needs at run time (tsx runs the sources; the SDL is read from schema/),
 * what `npm run build` needs, and the MikroORM CLI's configuration file.
 */
const PROJECT_FILES = ['src', 'schema', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'mikro-orm.config.js'];

export interface CopyOptions {
  /** Packages left out of the copy's node_modules (as `npm ci --omit=dev` would leave out devDependencies). */
  without?: string[];
  /** Packages copied for real rather than hard-linked: no path to their files exists outside the copy. */
  unshared?: string[];
}

/**
 * A runnable copy of this project in `target`: the sources copied, node_modules hard-linked
 * (`cp -al`: about a second, where a copy takes much longer; falls back to copying across file
 * systems). Hard links share the files' inodes (and modes) with the original, so `unshared`
 * packages are copied instead when that matters.
 */
export async function copyProject(target: string, options: CopyOptions = {}): Promise<void> {
  for (const file of PROJECT_FILES) await cp(join(ROOT, file), join(target, file), { recursive: true });
  const modules = join(target, 'node_modules');
  await run('cp', ['-al', join(ROOT, 'node_modules'), modules]).catch(() => run('cp', ['-a', join(ROOT, 'node_modules'), modules]));
  for (const name of options.without ?? []) await rm(join(modules, name), { recursive: true, force: true });
  for (const name of options.unshared ?? []) {
    await rm(join(modules, name), { recursive: true, force: true });
    await cp(join(ROOT, 'node_modules', name), join(modules, name), { recursive: true, verbatimSymlinks: true });
  }
}
