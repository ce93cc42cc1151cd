import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Paths around the tenant filter that TenantEntityManager refuses at run time are also kept out
// of the code base at review time: a new call has to come through one of the allowed files.

const SRC = new URL('../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

const rules: { name: string; pattern: RegExp; allowedIn: string[] }[] = [
  { name: 'upsert bypasses the tenant filter', pattern: /\.upsert(Many)?\(/, allowedIn: ['tenancy/tenant-entity-manager.ts'] },
  { name: 'QueryBuilder ignores the filter on joins and writes', pattern: /createQueryBuilder\(|\.qb\(/, allowedIn: ['tenancy/tenant-entity-manager.ts'] },
  { name: 'raw SQL is not tenant-scoped', pattern: /\.execute\(|getKnex\(|getConnection\(|\braw\(/, allowedIn: [
    'tenancy/tenant-entity-manager.ts', 'tenancy/rls-session.ts', 'tenancy/tenant-session.ts', 'db/serving-role.ts',
    // Reads every user's email and writes it back normalized (JavaScript, not SQL, computes the form): system work at migration time.
    'db/migrations/Migration20261201000000_normalize_emails.ts',
  ] },
  // Fixed reads go through TenantSql, which binds $1 to the request's organization itself.
  { name: 'statements on a raw connection', pattern: /\.query(<[^>]*>)?\(/, allowedIn: ['tenancy/tenant-sql.ts', 'tenancy/tenant-session.ts', 'db/orm.ts', 'db/embedded.ts'] },
  { name: 'switching the tenant filter off', pattern: /filters:\s*false|tenant:\s*false|\[TENANT_FILTER\]:\s*false/, allowedIn: ['tenancy/tenant-entity-manager.ts'] },
  { name: 'the tenant filter parameter is set with the scope', pattern: /setFilterParams\(/, allowedIn: ['tenancy/tenant-entity-manager.ts'] },
  { name: 'forged managed state (merge, managed create)', pattern: /\bem\.merge\(|\.merge\(\w+,|managed:\s*true/, allowedIn: ['tenancy/tenant-entity-manager.ts'] },
  { name: 'the configuration is parsed in one place', pattern: /process\.env/, allowedIn: ['config/index.ts'] },
  { name: 'system scopes are for deliberate cross-organization work', pattern: /forkForSystem\(/, allowedIn: [
    'tenancy/tenant-entity-manager.ts', 'db/bootstrap.ts', 'db/seeders/demo-data.ts',
  ] },
];

describe('source rules', () => {
  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  for (const rule of rules) {
    it(`${rule.name}: only in ${rule.allowedIn.join(', ')}`, () => {
      const offenders = files.filter((f) => rule.pattern.test(f.text) && !rule.allowedIn.includes(f.path)).map((f) => f.path);
      expect(offenders).toEqual([]);
    });
  }
});
