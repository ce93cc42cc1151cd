import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MigrationDiff, MikroORM } from '@mikro-orm/core';
import { TSMigrationGenerator } from '@mikro-orm/migrations';
import { SqlSchemaGenerator, type SqlEntityManager } from '@mikro-orm/postgresql';

// The schema is written by hand, in migrations (src/db/migrations/): row-level security, composite
// foreign keys that keep references inside one organization, deferrable keys, partial indexes
// and triggers. The entity metadata describes none of that, so MikroORM's metadata-driven schema
// tools compute a "diff" that drops them (`npx mikro-orm migration:check` reports one on the
// shipped schema; test/schema-drift.test.ts checks the other direction). The two classes below
// keep those tools from writing or running such a diff; reading it (`--dump`) stays possible.

/** Why a metadata-driven schema change is refused, and what to do instead. */
export const HAND_WRITTEN_SCHEMA =
  'the schema is written by hand in src/db/migrations (row-level security, composite keys, triggers), which the entity metadata does not describe: ' +
  "a schema diff computed from the entities would drop them. Write the change yourself: `npx mikro-orm migration:create --blank --name <what>` (README, 'Migrations and seeding').";

/** MikroORM's placeholder statement for `migration:create --blank` (Migrator.getSchemaDiff, 6.6). */
const BLANK = 'select 1';

/**
 * The TypeScript migration generator (`migrations.generator`, src/db/orm.ts) for a hand-written
 * schema: writes blank migrations (`--blank`) as MikroORM does, and throws, writing no file,
 * for any other, whose statements would come from the entity metadata.
 *
 * The file is named as MikroORM names it (`Migration<yyyyMMddHHmmss UTC>_<name>.ts`, the class
 * alike), except that the time is never earlier than the newest migration's in the directory:
 * migrations run in name order, so a new one that sorted before an older one (a clock behind the
 * last author's) would run in a different place on a fresh database than on an existing one.
 */
export class HandWrittenMigrationGenerator extends TSMigrationGenerator {
  override async generate(diff: MigrationDiff, path?: string, name?: string): Promise<[string, string]> {
    const dir = resolve(this.driver.config.get('baseDir'), path ?? this.options.pathTs ?? this.options.path!);
    await mkdir(dir, { recursive: true });
    const timestamp = nextTimestamp(await readdir(dir), new Date());
    const code = await this.generateMigrationFile(this.namingStrategy.classToMigrationName(timestamp, name), diff);
    const fileName = `${this.options.fileName!(timestamp, name)}.${this.options.emit}`;
    await writeFile(join(dir, fileName), code, { flag: 'wx' }); // never over an existing file
    return [code, fileName];
  }

  override generateMigrationFile(className: string, diff: MigrationDiff): string {
    const blank = [...diff.up, ...diff.down].every((sql) => sql === BLANK || sql === '');
    if (!blank) throw new Error(`migration:create refused: ${HAND_WRITTEN_SCHEMA}`);
    return super.generateMigrationFile(className, diff);
  }
}

/** `now` as yyyyMMddHHmmss (UTC), or one second after the newest `Migration<that>` in `files` if that is not earlier. */
export function nextTimestamp(files: string[], now: Date): string {
  const format = (d: Date) => d.toISOString().slice(0, 19).replace(/[-T:]/g, '');
  const newest = files.map((f) => /^Migration(\d{14})/.exec(f)?.[1]).filter((t): t is string => t !== undefined).sort().at(-1);
  if (!newest || format(now) > newest) return format(now);
  const [, y, mo, d, h, mi, sec] = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(newest)!.map(Number) as number[];
  return format(new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, sec! + 1)));
}

/**
 * MikroORM's schema generator (`orm.schema`, the CLI's `schema:*` and `migration:fresh`) with the
 * commands that change the database from the entity metadata refused: create, update, drop and
 * fresh throw before running anything. The `get...SQL` reads (`--dump`) and everything the
 * Migrator does (it makes its own generator) work as before.
 */
export class HandWrittenSchemaGenerator extends SqlSchemaGenerator {
  /** Registered through the ORM's `extensions`, after (so in place of) the driver's own. */
  static override register(orm: MikroORM): void {
    orm.config.registerExtension('@mikro-orm/schema-generator', () => new HandWrittenSchemaGenerator(orm.em as SqlEntityManager));
  }

  override async createSchema(): Promise<void> {
    refuse('schema:create');
  }

  override async updateSchema(): Promise<void> {
    refuse('schema:update');
  }

  override async dropSchema(): Promise<void> {
    refuse('schema:drop (and migration:fresh, schema:fresh)');
  }

  override async refreshDatabase(): Promise<void> {
    refuse('schema:fresh');
  }
}

function refuse(command: string): never {
  throw new Error(`${command} refused: ${HAND_WRITTEN_SCHEMA} To start afresh, drop and create the database (the embedded one: stop the server and delete DATA_DIR).`);
}
