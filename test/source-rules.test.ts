import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Paths around the tenant filter that TenantEntityManager refuses at run time are also kept out
// of the code base at review time: a new call has to come through one of the allowed files.
// A rule whose pattern matches nothing would pass forever, so each rule carries sample lines
// (at least one per alternative of its pattern) that it must match, and every allowed file must
// still use what the rule is about (a stale exception is removed, not kept "just in case").

const SRC = new URL('../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

interface Rule {
  name: string;
  pattern: RegExp;
  allowedIn: string[];
  /** Lines the pattern must match: one per alternative at least, written as the code would be. */
  samples: string[];
}

const rules: Rule[] = [
  { name: 'upsert bypasses the tenant filter', pattern: /\.upsert(Many)?\(/, allowedIn: ['tenancy/tenant-entity-manager.ts'], samples: ['await em.upsert(Document, data);', 'em.upsertMany(Document, rows)'] },
  {
    name: 'QueryBuilder ignores the filter on joins and writes',
    pattern: /createQueryBuilder\(|\.qb\(/,
    allowedIn: ['tenancy/tenant-entity-manager.ts'],
    samples: ["em.createQueryBuilder(Document, 'd')", "const qb = em.qb(Document, 'd');"],
  },
  {
    name: 'raw SQL is not tenant-scoped',
    pattern: /\.execute\(|getKnex\(|getConnection\(|\braw\(/,
    allowedIn: [
      'tenancy/tenant-entity-manager.ts', 'tenancy/rls-session.ts', 'tenancy/tenant-session.ts', 'db/serving-role.ts',
      // Catalog reads at start-up (row-level security, keys and replica identity of every tenant table): no tenant rows.
      'db/tenant-table-check.ts',
      'db/tenant-key-check.ts',
      // pg_backend_pid() on two serving connections at start-up: no tenant rows.
      'db/session-pooling-check.ts',
      // Reads every user's email and writes it back normalized (JavaScript, not SQL, computes the form): system work at migration time.
      'db/migrations/Migration20261201000000_normalize_emails.ts',
      // Reads the serving pool's connection counts for metrics (knex's tarn pool); runs no statement.
      'db/pool-stats.ts',
      // A placement's name (placement_identity) and its migrations, as the owner at start-up: no tenant rows.
      'db/placement-database.ts',
      // Calls record_membership_index, which sets the organization itself (placement migration).
      'tenancy/placement/membership-index.ts',
      // Calls sweep_files and forget_file_deletions, which set each organization themselves (file_lifecycle migration).
      'modules/file/file-sweep.ts',
      // The routing directory: one organization row's placement, state and epoch by primary key (no tenant-owned table).
      'tenancy/placement/directory.ts',
    ],
    samples: ["await em.execute('select 1')", 'const knex = em.getKnex();', "em.getConnection('write')", "raw('now()')"],
  },
  {
    // The driver's find/count/nativeUpdate/nativeDelete take no filters: only the flush guard's
    // count (which adds organizationId itself) and the start-up catalog checks use it.
    name: 'the driver skips the tenant filter',
    pattern: /getDriver\(/,
    allowedIn: ['tenancy/tenant-flush-guard.ts', 'db/serving-role.ts', 'db/tenant-table-check.ts', 'db/tenant-key-check.ts'],
    samples: ['await em.getDriver().count(name, where)', 'orm.em.getDriver().nativeDelete(Document, {})'],
  },
  // Fixed statements go through TenantSql, which binds $1 to the request's organization itself, and
  // reach the connection through its queue (tenancy/connection-queue.ts, which calls pg's method itself).
  {
    name: 'statements on a raw connection',
    pattern: /\.query(<[^>]*>)?\(/,
    // placement-pools.ts: `select 1` on a short connection, to tell whether an idle placement answers (/readyz).
    allowedIn: [
      'tenancy/tenant-session.ts', 'db/connection-setup.ts', 'db/session-pooling-check.ts', 'db/embedded.ts', 'tenancy/placement/placement-pools.ts',
      // The operator's counts (`npm run tenant`), as each database's owner in READ ONLY transactions, each organization
      // counted with app.organization_id set to it and `organization_id = $1`: nothing is written.
      'tenancy/placement/placement-census.ts',
      // CREATE DATABASE (no transaction may hold it) and the shared database's `placement` list, as the embedded superuser.
      'db/create-embedded-placement.ts',
      // The tenant mover (`npm run tenant -- move`), as each database's owner: replication objects, the journal, and the
      // moving organization's rows, every statement filtered by `organization_id = $1` (writes with app.organization_id set to it).
      'tenancy/mobility/move.ts', 'tenancy/mobility/move-digest.ts', 'tenancy/mobility/move-journal.ts', 'tenancy/mobility/owner-connection.ts', 'tenancy/mobility/replication.ts',
      'tenancy/mobility/purge-archive.ts', 'tenancy/mobility/erase.ts', 'tenancy/mobility/find-organization.ts',
      // Tenant mobility (verify, export, import): one organization's rows as each database's owner, every statement
      // filtered by `organization_id = $1` (or the members of that organization) and run with app.organization_id set;
      // catalog reads for the tables' columns; the directory lookup of an organization by id or slug.
      'tenancy/mobility/audit.ts',
      'tenancy/mobility/content-hash.ts',
      'tenancy/mobility/export-organization.ts',
      'tenancy/mobility/find-organization.ts',
      'tenancy/mobility/import-checks.ts',
      'tenancy/mobility/import-organization.ts',
      'tenancy/mobility/import-users.ts',
      'tenancy/mobility/organization-entries.ts',
      'tenancy/mobility/owner-connection.ts',
      // The organization's file rows (and queued deletions) whose bytes export, import, verify and erase handle.
      'tenancy/mobility/file-objects.ts',
    ],
    samples: ["await client.query('select 1')", 'connection.query<Row>({ text })'],
  },
  {
    name: 'switching the tenant filter off',
    pattern: /filters:\s*false|tenant:\s*false|\[TENANT_FILTER\]:\s*false/,
    allowedIn: ['tenancy/tenant-entity-manager.ts'],
    samples: ['em.find(Document, {}, { filters: false })', '{ filters: { tenant: false } }', '{ filters: { [TENANT_FILTER]: false } }'],
  },
  { name: 'the tenant filter parameter is set with the scope', pattern: /setFilterParams\(/, allowedIn: ['tenancy/tenant-entity-manager.ts'], samples: ["em.setFilterParams('tenant', { organizationId })"] },
  {
    name: 'forged managed state (merge, managed create)',
    pattern: /\bem\.merge\(|\.merge\(\w+,|managed:\s*true/,
    allowedIn: ['tenancy/tenant-entity-manager.ts'],
    samples: ['em.merge(document)', 'fork.merge(Document, data)', 'em.create(Document, data, { managed: true })'],
  },
  { name: 'the configuration is parsed in one place', pattern: /process\.env/, allowedIn: ['config/index.ts'], samples: ['const url = process.env.DATABASE_URL;'] },
  {
    name: 'system scopes are for deliberate cross-organization work',
    pattern: /forkForSystem\(/,
    allowedIn: ['tenancy/tenant-entity-manager.ts', 'db/bootstrap.ts', 'db/seeders/demo-data.ts'],
    samples: ['const em = forkForSystem(orm.em);'],
  },
];

/** The top-level alternatives of a regular expression's source (`a|b(c|d)` -> `a`, `b(c|d)`). */
function alternatives(source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  return [...parts, source.slice(start)];
}

describe('source rules', () => {
  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('splits patterns into their alternatives', () => {
    expect(alternatives(/a|b(c|d)|[|]e|\|f/.source)).toEqual(['a', 'b(c|d)', '[|]e', '\\|f']);
  });

  for (const rule of rules) {
    it(`${rule.name}: only in ${rule.allowedIn.join(', ')}`, () => {
      const offenders = files.filter((f) => rule.pattern.test(f.text) && !rule.allowedIn.includes(f.path)).map((f) => f.path);
      expect(offenders).toEqual([]);
    });

    it(`${rule.name}: the pattern is alive (every alternative matches a sample, every sample matches)`, () => {
      for (const sample of rule.samples) expect(rule.pattern.test(sample), sample).toBe(true);
      for (const alternative of alternatives(rule.pattern.source)) {
        const branch = new RegExp(alternative, rule.pattern.flags);
        expect(rule.samples.some((s) => branch.test(s)), `alternative /${alternative}/ matches a sample`).toBe(true);
      }
    });

    it(`${rule.name}: every allowed file still needs the exception`, () => {
      const stale = rule.allowedIn.filter((path) => !files.some((f) => f.path === path && rule.pattern.test(f.text)));
      expect(stale).toEqual([]);
    });
  }
});
