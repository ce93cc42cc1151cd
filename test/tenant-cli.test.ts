import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { withDatabase } from '../src/db/embedded-placements.js';
import { connectOrm } from '../src/db/orm.js';
import { knownMigrations } from '../src/db/placement-database.js';
import { CliError, EXIT_USAGE } from '../src/cli/cli-error.js';
import { parseCommandLine } from '../src/cli/command-line.js';
import type { OrganizationReport } from '../src/cli/list.js';
import type { PlacementReport } from '../src/cli/placements.js';
import { renderTable } from '../src/cli/table.js';
import { startApp } from './support/app.js';
import { createTestDatabase, withSql } from './support/database.js';
import { tokenFor } from './support/factories.js';
import { gql } from './support/graphql.js';
import { freePort } from './support/ports.js';
import { expectOneSentence, tenant } from './support/tenant-cli.js';

// `npm run tenant -- <command>` as an operator runs it: the real entry point in a child process,
// with only the environment a shell would give it (test/support/tenant-cli.ts: compiled once per
// run, and through tsx as the package.json script runs it where a test says { via: 'tsx' }).

/** An account in the shared database, as sign-up leaves it. */
async function createAccount(sharedUrl: string, email: string): Promise<string> {
  const id = randomUUID();
  await withSql(sharedUrl, (c) => c.query(`insert into "user" ("id", "email", "name", "password_hash", "created_at") values ($1, $2, 'Olga Owner', 'not-a-real-hash', now())`, [id, email]));
  return id;
}

const count = (url: string, sql: string, params: unknown[]) => withSql(url, async (c) => Number((await c.query<{ n: string }>(sql, params)).rows[0]!.n));

/** The usage error parseCommandLine throws for `argv` (failing the test if it throws none or another). */
function refusal(argv: string[]): CliError {
  try {
    parseCommandLine(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode, (err as CliError).message).toBe(EXIT_USAGE);
    return err as CliError;
  }
  throw new Error(`${JSON.stringify(argv)} was accepted`);
}

describe('the command line, judged before anything runs (exit code 2)', () => {
  const create = ['create', 'Initech', '--owner', 'olga@initech.test', '--placement', 'alpha', '--tier', 'gold'];

  it('refuses every option given twice, in every command, naming it', () => {
    const repeated: [string[], string][] = [
      [['placements', '--json', '--json'], 'json'],
      [['placements', 'create', 'delta', '--json', '--json'], 'json'],
      [['list', '--json', '--json'], 'json'],
      [[...create, '--json', '--json'], 'json'],
      [[...create, '--owner', 'other@initech.test'], 'owner'],
      [[...create, '--placement', 'beta'], 'placement'],
      [[...create, '--tier', 'gold'], 'tier'], // the same value twice too: still a guess at what was meant
      [['create', 'Initech', '--owner=a@initech.test', '--placement', 'p', '--owner', 'b@initech.test'], 'owner'],
      [['list', '--help', '-h'], 'help'],
    ];
    for (const [argv, option] of repeated) {
      expect(refusal(argv).message, argv.join(' ')).toMatch(new RegExp(`^Option --${option} is given more than once\\. Run`));
    }
  });

  it('refuses malformed values as a bad command line, in one sentence each', () => {
    const malformed: [string[], RegExp][] = [
      [['create', 'Initech', '--owner', 'olga@initech.test', '--placement', 'Acme'], /^"Acme" is not a valid placement name/],
      [['create', 'Initech', '--owner', 'olga@initech.test', '--placement', ''], /^"" is not a valid placement name/],
      [[...create.slice(0, 6), '--tier', 'Gold!'], /^The tier "Gold!" is not valid/],
      [['create', 'Initech', '--owner', 'not-an-email', '--placement', 'alpha'], /^"not-an-email" is not an email address\./],
      [['create', '', '--owner', 'olga@initech.test', '--placement', 'alpha'], /^The organization's name is empty\./],
      [['create', 'x'.repeat(101), '--owner', 'olga@initech.test', '--placement', 'alpha'], /^The organization's name is 101 characters long: at most 100\./],
      [['create', 'Ini\ntech', '--owner', 'olga@initech.test', '--placement', 'alpha'], /^The organization's name contains a control character/],
      [['placements', 'create', 'Acme'], /^"Acme" is not a valid placement name/],
      [['list', '--json=yes'], /^Option --json takes no value\./],
      [['create', 'Initech', '--placement', 'alpha', '--owner'], /^Option --owner needs a value\./],
      [['create', 'Initech', '--owner', '--placement', 'alpha'], /^Option --owner needs a value\./],
    ];
    for (const [argv, pattern] of malformed) expect(refusal(argv).message, JSON.stringify(argv)).toMatch(pattern);
    // A blank name is said to be blank, not too long or short.
    expect(refusal(['create', '   ', '--owner', 'olga@initech.test', '--placement', 'alpha']).message).toMatch(/^The organization's name is blank: it has only white space\./);
  });

  it('refuses an extra argument after every command, naming it (not "Unknown command")', () => {
    const extra: string[][] = [
      ['list', 'extra'],
      ['placements', 'extra'],
      ['placements', 'create', 'delta', 'extra'],
      [...create, 'extra'],
      ['move', 'acme', 'extra', '--to', 'alpha'],
      ['move', 'acme', 'extra', '--abort'],
      ['status', 'acme', 'extra'],
      ['purge-archive', 'acme', 'extra'],
      ['erase', 'acme', 'extra', '--confirm', 'acme'],
      ['verify', 'acme', 'extra', '--against', 'alpha'],
      ['export', 'acme', 'extra', '--out', 'a.gz'],
      ['import', 'a.gz', 'extra', '--to', 'alpha'],
    ];
    for (const argv of extra) expect(refusal(argv).message, argv.join(' ')).toMatch(/^`[a-z -]+` takes [^:]+: unexpected argument `extra`\. Run/);
    expect(refusal(['list', 'extra']).message).toMatch(/^`list` takes no argument: unexpected argument `extra`\./);
  });

  it('takes --force with export only', () => {
    expect(parseCommandLine(['export', 'acme', '--out', 'a.gz', '--force'])).toMatchObject({ command: 'export', force: true });
    expect(parseCommandLine(['export', 'acme', '--out', 'a.gz'])).toMatchObject({ command: 'export', force: false });
    expect(refusal(['import', 'a.gz', '--to', 'alpha', '--force']).message).toMatch(/^`import` takes no --force option\./);
  });

  it('accepts any identifier as a tier, and a name of exactly 100 characters', () => {
    for (const tier of ['gold', 'tier_2', 'enterprise']) expect(parseCommandLine([...create.slice(0, 6), '--tier', tier])).toMatchObject({ command: 'create', tier });
    expect(parseCommandLine(['create', 'x'.repeat(100), '--owner', 'olga@initech.test', '--placement', 'alpha'])).toMatchObject({ name: 'x'.repeat(100) });
  });

  it('needs a command: none, or only --json, is a bad command line followed by the usage; --help alone is the help', () => {
    for (const argv of [[], ['--json']]) expect(refusal(argv)).toMatchObject({ message: 'No command given.', withUsage: true });
    expect(parseCommandLine(['--help'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['list', '-h'])).toEqual({ command: 'help' });
  });

  it('right-aligns a column of numbers also where it shows an unknown as ?', () => {
    const table = renderTable(['placement', 'documents'], [['shared', 1234], ['gone', null]]);
    expect(table.split('\n')).toEqual(['placement  documents', '---------  ---------', 'shared          1234', 'gone               ?']);
  });
});

describe('npm run tenant on a shared database and two dedicated placements', () => {
  let shared: string;
  let alpha: string;
  let beta: string;
  let env: Record<string, string>;
  const ownerEmail = `owner-${randomBytes(4).toString('hex')}@initech.test`;
  let ownerId: string;
  let organization: { id: string; slug: string; placement: string; tier: string; ownerId: string };

  beforeAll(async () => {
    [shared, alpha, beta] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
    env = { DATABASE_URL: shared, PLACEMENT_ALPHA_URL: alpha, PLACEMENT_BETA_URL: beta };
    ownerId = await createAccount(shared, ownerEmail);
  });

  it('create provisions an organization on a dedicated placement for an existing account, and the API serves it there', async () => {
    // The owner's email in another spelling: normalized as everywhere.
    // Through tsx, exactly as `npm run tenant` runs it (the other commands run the same sources compiled once).
    const created = await tenant(['create', 'Initech Ltd', '--owner', ownerEmail.toUpperCase(), '--placement', 'alpha', '--json'], env, { via: 'tsx' });
    expect(created.code, created.stderr).toBe(0);
    organization = JSON.parse(created.stdout);
    expect(organization).toMatchObject({ placement: 'alpha', tier: 'standard', ownerId, name: 'Initech Ltd' });
    expect(organization.slug).toMatch(/^initech-ltd-[0-9a-f]{6}$/);

    // The directory and the membership index in the shared database; the organization's own rows on alpha.
    const directory = await withSql(shared, (c) => c.query('select "placement", "state", "placement_epoch" from "organization" where "id" = $1', [organization.id]));
    expect(directory.rows).toEqual([{ placement: 'alpha', state: 'active', placement_epoch: 1 }]);
    expect(await count(shared, `select count(*) as n from "membership" where "organization_id" = $1 and "role" = 'OWNER'`, [organization.id])).toBe(1);
    expect(await count(alpha, `select count(*) as n from "organization" where "id" = $1 and "placement" = 'alpha'`, [organization.id])).toBe(1);
    expect(await count(alpha, `select count(*) as n from "membership" where "organization_id" = $1 and "user_id" = $2`, [organization.id, ownerId])).toBe(1);
    expect(await count(beta, 'select count(*) as n from "organization"', [])).toBe(0);

    const app = await startApp({ PLACEMENT_ALPHA_URL: alpha, PLACEMENT_BETA_URL: beta }, shared);
    try {
      const token = await tokenFor(app, ownerId, organization.id);
      const made = await gql(app, 'mutation { createDocument(input: { title: "Launch plan", body: "on alpha" }) { id title } }', {}, { token });
      expect(made.errors, made.raw).toBeUndefined();
      const listed = await gql<{ documents: { edges: { node: { title: string } }[] } }, object>(app, '{ documents(first: 5) { edges { node { title } } } }', {}, { token });
      expect(listed.errors, listed.raw).toBeUndefined();
      expect(listed.data?.documents.edges.map((e) => e.node.title)).toEqual(['Launch plan']);
    } finally {
      await app.close();
    }
    expect(await count(alpha, 'select count(*) as n from "document" where "organization_id" = $1', [organization.id])).toBe(1);
    expect(await count(shared, 'select count(*) as n from "document"', [])).toBe(0);
  });

  it('list shows it on its placement with the member and row counts read there', async () => {
    // A second organization, on the shared placement, whose database also holds alpha's membership index.
    const onShared = await tenant(['create', 'Umbrella', '--owner', ownerEmail, '--placement', 'shared', '--tier', 'enterprise', '--json'], env);
    expect(onShared.code, onShared.stderr).toBe(0);
    const umbrella = JSON.parse(onShared.stdout) as { id: string };

    const [json, table] = await Promise.all([tenant(['list', '--json'], env), tenant(['list'], env)]);
    expect(json.code, json.stderr).toBe(0);
    const { organizations } = JSON.parse(json.stdout) as { organizations: OrganizationReport[] };
    expect(organizations.map((o) => [o.id, o.placement])).toEqual([[organization.id, 'alpha'], [umbrella.id, 'shared']]);
    expect(organizations[1]).toMatchObject({ tier: 'enterprise', members: 1, rows: { membership: 1, document: 0, activity_event: 0 } });
    expect(organizations[0]).toMatchObject({ id: organization.id, slug: organization.slug, placement: 'alpha', tier: 'standard', state: 'active', epoch: 1, members: 1 });
    // The shared database holds no document of it: 1 can only come from alpha.
    expect(organizations[0]!.rows).toMatchObject({ membership: 1, document: 1, comment: 0, invitation: 0 });
    expect(organizations[0]!.rows!.activity_event).toBeGreaterThanOrEqual(1);

    expect(table.code, table.stderr).toBe(0);
    const line = table.stdout.split('\n').find((l) => l.includes(organization.slug));
    expect(line).toMatch(new RegExp(`^${organization.id}\\s+${organization.slug}\\s+alpha\\s+standard\\s+active\\s+1\\s+1\\s+1\\b`));
  });

  it('counts the same as an owner that is not a superuser, whom FORCEd row-level security binds', async () => {
    // alpha's tenant tables handed to a plain login role: as their owner it is still subject to
    // their policies (FORCE), so only a count made with app.organization_id set sees the rows.
    const role = `tenantql_test_owner_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const database = new URL(alpha).pathname.slice(1);
    await withSql(alpha, async (c) => {
      await c.query(`create role "${role}" login nosuperuser nobypassrls password '${password}'`);
      await c.query(`grant connect on database "${database}" to "${role}"`);
      for (const table of ['membership', 'document', 'activity_event', 'comment', 'invitation', 'file']) await c.query(`alter table "${table}" owner to "${role}"`);
    });
    try {
      const asOwner = new URL(alpha);
      asOwner.username = role;
      asOwner.password = password;
      const result = await tenant(['list', '--json'], { ...env, PLACEMENT_ALPHA_URL: asOwner.toString() });
      expect(result.code, result.stderr).toBe(0);
      const { organizations } = JSON.parse(result.stdout) as { organizations: OrganizationReport[] };
      expect(organizations.find((o) => o.id === organization.id)).toMatchObject({ members: 1, rows: { membership: 1, document: 1 } });
    } finally {
      await withSql(alpha, async (c) => {
        await c.query(`reassign owned by "${role}" to current_user`);
        await c.query(`drop owned by "${role}"`);
        await c.query(`drop role "${role}"`);
      });
    }
  });

  it('placements shows the three placements reachable, with the current schema, row-level security in place and their counts', async () => {
    const result = await tenant(['placements', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const { placements } = JSON.parse(result.stdout) as { placements: PlacementReport[] };
    expect(placements.map((p) => [p.name, p.source])).toEqual([['shared', 'shared'], ['alpha', 'configured'], ['beta', 'configured']]);
    const latest = knownMigrations().at(-1);
    for (const p of placements) {
      expect(p, p.name).toMatchObject({ reachable: true, identity: p.name, schema: { latest, current: true, problems: [] }, rls: { ok: true, problems: [] } });
    }
    const [sharedReport, alphaReport, betaReport] = placements;
    expect(alphaReport!.organizations).toEqual({ active: 1, moving: 0, archived: 0, erased: 0 });
    expect(alphaReport!.rows).toMatchObject({ membership: 1, document: 1 });
    // The shared database's index row of alpha's membership is not counted as shared's.
    expect(sharedReport!.organizations!.active).toBe(1);
    expect(sharedReport!.rows).toMatchObject({ membership: 1, document: 0 });
    expect(betaReport!.organizations!.active).toBe(0);
  });

  it('an unreachable placement is reported as such, and is not an error', async () => {
    const gone = `postgresql://postgres:s3cret-password@127.0.0.1:${await freePort()}/tenantql_gone`;
    const result = await tenant(['placements', '--json'], { ...env, PLACEMENT_GONE_URL: gone });
    expect(result.code, result.stderr).toBe(0);
    const { placements } = JSON.parse(result.stdout) as { placements: PlacementReport[] };
    expect(placements.map((p) => [p.name, p.reachable])).toEqual([['shared', true], ['alpha', true], ['beta', true], ['gone', false]]);
    expect(placements[3]!.error).toMatch(/ECONNREFUSED/);
    // What could not be read is unknown, not zero nor a failed check.
    expect(placements[3]).toMatchObject({ identity: null, schema: null, rls: null, organizations: null, rows: null });
    expect(result.stdout).not.toContain('s3cret-password');

    const table = await tenant(['placements'], { ...env, PLACEMENT_GONE_URL: gone });
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    const goneLine = lines.find((l) => l.startsWith('gone '))!;
    expect(goneLine).toMatch(/^gone\s+configured\s+NO\s+\?\s+\?\s+\?\s+\?(\s+\?){6}$/);
    // The ? of a count column ends where the numbers above it end.
    const alphaLine = lines.find((l) => l.startsWith('alpha '))!;
    expect(goneLine.length).toBe(alphaLine.length);
    expect(table.stdout).toMatch(/^gone: unreachable: ECONNREFUSED/m);
  });

  it('refuses, in one sentence and with a non-zero exit, what it cannot do', { timeout: 90_000 }, async () => {
    const closedPort = await freePort();
    const [unknownOwner, unknownPlacement, unreachable, notEmbedded, noOwner, unknownCommand, unknownOption, help, badEmail, twice, noCommand, onlyJson] = await Promise.all([
      tenant(['create', 'Nobody Inc', '--owner', 'nobody@example.test', '--placement', 'alpha'], env),
      tenant(['create', 'Nowhere Inc', '--owner', ownerEmail, '--placement', 'nowhere'], env),
      tenant(['list'], { DATABASE_URL: `postgresql://postgres:s3cret-password@127.0.0.1:${closedPort}/tenantql` }),
      tenant(['placements', 'create', 'delta'], env),
      tenant(['create', 'Initech'], env),
      tenant(['frobnicate'], env),
      tenant(['list', '--verbose'], env),
      tenant(['--help'], {}, { via: 'tsx' }),
      tenant(['create', 'Nobody Inc', '--owner', 'not-an-email', '--placement', 'alpha'], env),
      tenant(['create', 'Twice Inc', '--owner', ownerEmail, '--placement', 'alpha', '--owner', 'nobody@example.test'], env),
      tenant([], {}),
      tenant(['--json'], {}),
    ]);
    expectOneSentence(unknownOwner, 1, /^No account has the email nobody@example\.test: the owner must sign up first\.$/);
    expectOneSentence(unknownPlacement, 1, /^There is no placement "nowhere": the placements are shared, alpha, beta\.$/);
    expectOneSentence(unreachable, 1, /^Cannot reach the database \(ECONNREFUSED/);
    expect(unreachable.stderr).not.toContain('s3cret-password');
    expectOneSentence(notEmbedded, 1, /create the database yourself and set PLACEMENT_DELTA_URL/);
    expectOneSentence(noOwner, 2, /`create` needs --owner <email>/);
    expectOneSentence(unknownCommand, 2, /^Unknown command `frobnicate`/);
    expectOneSentence(unknownOption, 2, /^Unknown option --verbose/);
    expectOneSentence(badEmail, 2, /^"not-an-email" is not an email address\./);
    expectOneSentence(twice, 2, /^Option --owner is given more than once\./);
    for (const none of [noCommand, onlyJson]) {
      expect(none.code, none.stderr).toBe(2);
      expect(none.stdout).toBe('');
      expect(none.stderr).toMatch(/^No command given\.\n\nUsage: npm run -s tenant -- <command>/);
    }
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    for (const command of ['placements', 'placements create <name>', 'list', 'create <name> --owner <email> --placement <placement>']) expect(help.stdout).toContain(command);
    // Nothing was left behind by the refused creations.
    expect(await count(shared, 'select count(*) as n from "organization"', [])).toBe(2);
  });
});

describe('npm run tenant -- placements create, on the embedded server', () => {
  let dir: string;
  let server: EmbeddedDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    // The server `npm start` would run: database `tenantql`, password in DATA_DIR, migrated.
    dir = await mkdtemp(join(tmpdir(), 'tenantql-cli-'));
    await chmod(dir, 0o755); // run as root, the server runs as `postgres`: keep its files in place
    const port = await freePort();
    server = await startEmbeddedPostgres({ dataDir: dir, port, database: 'tenantql', persistent: false });
    const orm = await connectOrm({ clientUrl: server.url, mode: 'multi_tenant', poolMax: 1 });
    await orm.getMigrator().up();
    await orm.close();
    env = { DATA_DIR: dir, EMBEDDED_PG_PORT: String(port) };
  });

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates tenantql_<name>, migrated and named, lists it, refuses it twice, and an organization can be placed on it', async () => {
    const created = await tenant(['placements', 'create', 'gamma', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual({ name: 'gamma', database: 'tenantql_gamma' });
    const gamma = withDatabase(server.url, 'tenantql_gamma');
    expect(await withSql(gamma, async (c) => (await c.query('select "name" from "placement_identity"')).rows)).toEqual([{ name: 'gamma' }]);
    expect(await count(gamma, 'select count(*) as n from "mikro_orm_migrations"', [])).toBe(knownMigrations().length);
    expect(await withSql(server.url, async (c) => (await c.query('select "name", "database_name" from "placement"')).rows)).toEqual([{ name: 'gamma', database_name: 'tenantql_gamma' }]);

    const [again, invalid, shared, configured] = await Promise.all([
      tenant(['placements', 'create', 'gamma'], env),
      tenant(['placements', 'create', 'Bad-Name'], env),
      tenant(['placements', 'create', 'shared'], env),
      tenant(['placements', 'create', 'zeta'], { ...env, PLACEMENT_ZETA_URL: withDatabase(server.url, 'tenantql_zeta_elsewhere') }),
    ]);
    expectOneSentence(again, 1, /^Placement gamma already exists on the embedded server\.$/);
    expectOneSentence(invalid, 2, /^"Bad-Name" is not a valid placement name/);
    expectOneSentence(configured, 1, /^Placement zeta already exists: PLACEMENT_ZETA_URL configures it\.$/);
    expectOneSentence(shared, 1, /is the shared placement's name/);

    const email = 'hooli-owner@example.test';
    await createAccount(server.url, email);
    const placed = await tenant(['create', 'Hooli', '--owner', email, '--placement', 'gamma', '--tier', 'enterprise', '--json'], env);
    expect(placed.code, placed.stderr).toBe(0);
    expect(JSON.parse(placed.stdout)).toMatchObject({ placement: 'gamma', tier: 'enterprise' });

    const report = await tenant(['placements', '--json'], env);
    expect(report.code, report.stderr).toBe(0);
    const { placements } = JSON.parse(report.stdout) as { placements: PlacementReport[] };
    expect(placements.map((p) => [p.name, p.source, p.reachable, p.schema?.current, p.rls?.ok])).toEqual([
      ['shared', 'shared', true, true, true],
      ['gamma', 'embedded', true, true, true],
    ]);
    expect(placements[1]!.organizations!.active).toBe(1);

    // PLACEMENT_GAMMA_URL set as well: it wins, as in the server, and `placements` says what it hides.
    const shadowEnv = { ...env, PLACEMENT_GAMMA_URL: `postgresql://postgres@127.0.0.1:${await freePort()}/tenantql_gamma_elsewhere` };
    const [shadowJson, shadowTable] = await Promise.all([tenant(['placements', '--json'], shadowEnv), tenant(['placements'], shadowEnv)]);
    expect(shadowJson.code, shadowJson.stderr).toBe(0);
    const shadowing = (JSON.parse(shadowJson.stdout) as { placements: PlacementReport[] }).placements;
    expect(shadowing.map((p) => [p.name, p.source, p.shadows])).toEqual([['shared', 'shared', undefined], ['gamma', 'configured', 'tenantql_gamma']]);
    expect(shadowTable.code, shadowTable.stderr).toBe(0);
    expect(shadowTable.stdout).toMatch(/^gamma\s+configured \(shadows embedded\)\s+NO\b/m);
    expect(shadowTable.stdout).toMatch(/^gamma: PLACEMENT_GAMMA_URL shadows the embedded placement gamma \(database tenantql_gamma\)/m);
  }, 90_000); // a dozen child processes against its own embedded server: slow on a loaded 2-core machine
});
