import { cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { transform } from 'esbuild';
import { ROOT } from './project-copy.js';

// The command line's child processes (test/support/tenant-cli.ts) run the sources compiled once
// per run, as `npm run build` lays them out (dist/ beside package.json, schema/ and node_modules),
// instead of through tsx in every child: tsx's loader roughly doubles a child's start-up CPU
// (measured on `tenant list`: about 2 s of user time through tsx, 1 s compiled), and the suite
// starts some sixty of them. The program is the same: src/cli/tenant.ts and what it imports, each
// file compiled on its own (tsconfig.json has isolatedModules and verbatimModuleSyntax, so a
// per-file transpile means what tsc's emit means), found by the same relative paths as in dist/.

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/**
 * Compiles src/ into `<target>/dist` (each `.ts` to `.js`; other files, the JSON and GraphQL
 * documents, copied) and links package.json's neighbours the program reads at run time: schema/
 * and node_modules/. Returns the compiled entry point, `<target>/dist/cli/tenant.js`. Throws on a
 * file esbuild cannot compile.
 */
export async function buildCli(target: string): Promise<string> {
  const src = join(ROOT, 'src');
  const dist = join(target, 'dist');
  for (const file of await filesUnder(src)) {
    const out = join(dist, file.replace(/\.ts$/, '.js'));
    await mkdir(dirname(out), { recursive: true });
    if (!file.endsWith('.ts')) {
      await cp(join(src, file), out);
      continue;
    }
    const code = await transform(await readFile(join(src, file), 'utf8'), { loader: 'ts', format: 'esm', target: 'es2023', sourcefile: join(src, file) });
    await writeFile(out, code.code);
  }
  await cp(join(ROOT, 'package.json'), join(target, 'package.json'));
  await symlink(join(ROOT, 'schema'), join(target, 'schema'));
  await symlink(join(ROOT, 'node_modules'), join(target, 'node_modules'));
  return join(dist, 'cli/tenant.js');
}
