import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDocumentDocument, DocumentDocument, DocumentsDocument } from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { gql } from './support/graphql.js';

const ORGS = 12;
const DOCS = 3;
const REQUESTS = 240;
const WAVE = 60;

let app: TestApp;
let orgs: (TestOrg & { tag: string; created: string[] })[];

beforeAll(async () => {
  // A pool far smaller than the number of requests in flight: connections are reused across tenants.
  app = await startApp({ DB_POOL_MAX: '3' });
  const made = await Promise.all(Array.from({ length: ORGS }, () => createOrg(app, { documents: DOCS })));
  // The factory's titles and bodies embed a tag unique to the organization ("Doc 0 of <tag>").
  orgs = made.map((o) => ({ ...o, tag: o.documents[0]!.title.split(' of ')[1]!, created: [] }));
});
afterAll(() => app?.close());

type Kind = 'list' | 'own' | 'foreign' | 'create';
const KINDS: Kind[] = ['list', 'own', 'foreign', 'create'];

describe('many tenants on a small pool', () => {
  it(`${REQUESTS} interleaved requests from ${ORGS} organizations never see another organization's data`, async () => {
    const problems: string[] = [];
    const allIds = () => new Map(orgs.flatMap((o) => [...o.documents.map((d) => d.id), ...o.created].map((id) => [id, o.id] as const)));

    async function one(k: number) {
      const me = orgs[k % ORGS]!;
      const other = orgs[(k + 1 + (k % 5)) % ORGS]!;
      const kind = KINDS[Math.floor(k / ORGS) % KINDS.length]!;
      const token = me.owner.token;
      const res =
        kind === 'list'
          ? await gql(app, DocumentsDocument, { first: 100 }, { token })
          : kind === 'own'
            ? await gql(app, DocumentDocument, { id: me.documents[k % DOCS]!.id }, { token })
            : kind === 'foreign'
              ? await gql(app, DocumentDocument, { id: other.documents[k % DOCS]!.id }, { token })
              : await gql(app, CreateDocumentDocument, { input: { title: `Created ${k} of ${me.tag}`, body: `by ${me.tag}` } }, { token });
      const where = `request ${k} (${kind}) by ${me.tag}`;
      if (res.status !== 200 || res.errors) return void problems.push(`${where}: ${res.raw}`);
      for (const o of orgs) if (o !== me && res.raw.includes(o.tag)) problems.push(`${where} carries ${o.tag}'s data: ${res.raw}`);
      const data = res.data as Record<string, any>;
      if (kind === 'list') {
        const titles: string[] = data.documents.edges.map((e: any) => e.node.title);
        if (titles.length < DOCS || titles.some((t) => !t.endsWith(` of ${me.tag}`))) problems.push(`${where}: ${titles.join(', ')}`);
        const ids = allIds();
        for (const e of data.documents.edges) if (ids.has(e.node.id) && ids.get(e.node.id) !== me.id) problems.push(`${where}: foreign id ${e.node.id}`);
      } else if (kind === 'own') {
        if (data.document?.title !== me.documents[k % DOCS]!.title) problems.push(`${where}: ${res.raw}`);
      } else if (kind === 'foreign') {
        if (data.document !== null) problems.push(`${where}: expected null, got ${res.raw}`);
      } else {
        if (data.createDocument.title !== `Created ${k} of ${me.tag}`) problems.push(`${where}: ${res.raw}`);
        me.created.push(data.createDocument.id);
      }
      return kind;
    }

    const kinds: (Kind | undefined)[] = [];
    for (let start = 0; start < REQUESTS; start += WAVE) {
      kinds.push(...(await Promise.all(Array.from({ length: WAVE }, (_, i) => one(start + i)))));
    }
    expect(problems).toEqual([]);
    expect(kinds.filter((k) => k === 'create')).toHaveLength(REQUESTS / KINDS.length);

    // In the database: each organization holds exactly its own documents, under its own id.
    const rows = await withSql(app.databaseUrl, (c) =>
      c.query<{ organization_id: string; total: number; created: number }>(
        `select organization_id, count(*)::int as total, count(*) filter (where title like 'Created %')::int as created
           from document group by organization_id`,
      ),
    );
    const perOrg = new Map(rows.rows.map((r) => [r.organization_id, r]));
    const createsPerOrg = REQUESTS / KINDS.length / ORGS;
    for (const o of orgs) {
      expect(o.created).toHaveLength(createsPerOrg);
      expect(perOrg.get(o.id)).toMatchObject({ total: DOCS + createsPerOrg, created: createsPerOrg });
      const stored = await withSql(app.databaseUrl, (c) => c.query('select title, created_by_id from document where id = any($1::uuid[]) and organization_id = $2', [o.created, o.id]));
      expect(stored.rows).toHaveLength(createsPerOrg);
      expect(stored.rows.every((r) => r.title.endsWith(` of ${o.tag}`) && r.created_by_id === o.owner.id)).toBe(true);
    }
    expect(perOrg.size).toBe(ORGS);
  });
});
