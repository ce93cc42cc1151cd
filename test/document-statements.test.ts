import { parseSync } from 'libpg-query';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDocumentDocument, DocumentDocument, DocumentsDocument } from '../src/client/generated/graphql.js';
import '../src/tenancy/tenant-statement-check.js'; // loads the parser (libpg-query) used below
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { codes, gql, gqlOk } from './support/graphql.js';
import { statementsDuring } from './support/statements.js';

// What createDocument and document(id) cost on the wire, counted as bench/ counts them
// (pg_stat_statements: every statement the server sends, BEGIN and COMMIT included, the foreign
// key checks PostgreSQL runs itself at COMMIT excluded). The test server has no
// pg_stat_statements, so the statements are counted at the driver and each simple-protocol string
// is split by PostgreSQL's own parser: `begin; select * from enter_organization(...)` is one round
// trip and two statements. Issue 13: createDocument in at most 4 (it was 9), with every guard and
// the same-transaction audit event kept.

let app: TestApp;
let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  app = await startApp();
  [a, b] = await Promise.all([createOrg(app, { roles: ['OWNER', 'MEMBER', 'VIEWER'], documents: 1 }), createOrg(app, { documents: 1 })]);
});
afterAll(() => app?.close());

const statementsOf = (sent: string[]) => sent.flatMap((text) => (parseSync(text).stmts ?? []).map(() => text));
const events = (orgId: string, requestId: string | null) =>
  withSql(app.databaseUrl, async (c) => (await c.query('select action, actor_id, target_type, target_id from activity_event where organization_id = $1 and request_id = $2', [orgId, requestId])).rows);

describe('statements per request', () => {
  it('documents(first: 20): 4 statements (BEGIN, enter_organization, the page with its authors, COMMIT)', async () => {
    await gqlOk(app, DocumentsDocument, { first: 20 }, { token: a.owner.token });
    const sent = statementsOf(await statementsDuring(() => gqlOk(app, DocumentsDocument, { first: 20 }, { token: a.owner.token })));
    expect(sent, sent.join('\n')).toHaveLength(4);
  });

  it('createDocument: 4 statements (BEGIN, enter_organization, the document with its audit event, COMMIT); both rows stored', async () => {
    const member = a.users[1]!;
    await gqlOk(app, CreateDocumentDocument, { input: { title: 'warm-up' } }, { token: member.token });
    let res: Awaited<ReturnType<typeof gql<{ createDocument: { id: string; title: string; body: string | null; createdBy: { id: string } | null } }, unknown>>> | undefined;
    const sent = statementsOf(await statementsDuring(async () => (res = await gql(app, CreateDocumentDocument, { input: { title: 'counted', body: 'b' } }, { token: member.token }))));
    expect(sent, sent.join('\n')).toHaveLength(4);
    expect(sent[0]).toMatch(/^begin; select \* from enter_organization/);
    expect(sent[2]).toMatch(/^with audit as \(insert into activity_event .* insert into document /s);
    expect(sent[3]).toMatch(/^commit/i);

    const created = res!.data!.createDocument;
    expect(created).toMatchObject({ title: 'counted', body: 'b', createdBy: { id: member.id } });
    const stored = await withSql(app.databaseUrl, async (c) => (await c.query('select organization_id, created_by_id, title from document where id = $1', [created.id])).rows);
    expect(stored).toEqual([{ organization_id: a.id, created_by_id: member.id, title: 'counted' }]);
    expect(await events(a.id, res!.requestId)).toEqual([{ action: 'document.create', actor_id: member.id, target_type: 'Document', target_id: created.id }]);
  });

  it('createDocument below MEMBER: FORBIDDEN, nothing stored, the refusal recorded', async () => {
    const viewer = a.users[2]!;
    const res = await gql(app, CreateDocumentDocument, { input: { title: 'refused' } }, { token: viewer.token });
    expect(codes(res)).toEqual(['FORBIDDEN']);
    const stored = await withSql(app.databaseUrl, async (c) => (await c.query("select id from document where title = 'refused'")).rows);
    expect(stored).toEqual([]);
    expect(await events(a.id, res.requestId)).toEqual([{ action: 'document.create.denied', actor_id: viewer.id, target_type: 'Document', target_id: null }]);
  });

  it('document(id): 4 statements (BEGIN, enter_organization, the read with its audit event, COMMIT); read and denied reads recorded', async () => {
    const id = a.documents[0]!.id;
    await gqlOk(app, DocumentDocument, { id }, { token: a.owner.token });
    let res: Awaited<ReturnType<typeof gql<{ document: { id: string } | null }, unknown>>> | undefined;
    const sent = statementsOf(await statementsDuring(async () => (res = await gql(app, DocumentDocument, { id }, { token: a.owner.token }))));
    expect(sent, sent.join('\n')).toHaveLength(4);
    expect(res!.data!.document).toMatchObject({ id, createdBy: { id: a.owner.id } });
    expect(await events(a.id, res!.requestId)).toEqual([{ action: 'document.read', actor_id: a.owner.id, target_type: 'Document', target_id: id }]);

    // Another organization's document: null, recorded as denied in the caller's trail only.
    const theirs = b.documents[0]!.id;
    const denied = await gql(app, DocumentDocument, { id: theirs }, { token: a.owner.token });
    expect(denied.errors).toBeUndefined();
    expect(denied.data!.document).toBeNull();
    expect(await events(a.id, denied.requestId)).toEqual([{ action: 'document.read.denied', actor_id: a.owner.id, target_type: 'Document', target_id: theirs }]);
    expect(await events(b.id, denied.requestId)).toEqual([]);
  });
});
