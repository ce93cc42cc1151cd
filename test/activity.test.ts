import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActivityDocument,
  ArchiveDocumentDocument,
  CreateDocumentDocument,
  DeleteDocumentDocument,
  DocumentDocument,
  UpdateDocumentDocument,
} from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { activityOf, documentRow, tenantRows } from './support/documents-helpers.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { codes, gql, type GraphQLResponse } from './support/graphql.js';

let app: TestApp;

beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

const ok = <T>(res: GraphQLResponse<T> | GraphQLResponse<unknown>): T => {
  expect(res.errors, res.raw).toBeUndefined();
  expect(res.requestId).toMatch(/\S/);
  return res.data as T;
};
const newOrg = () => createOrg(app, { roles: ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'], documents: 1 });
const role = (org: TestOrg, r: string) => org.users.find((u) => u.role === r)!;

describe('the activity trail', () => {
  it('records create/update/read/archive/delete and refusals, newest first, with actor, target and request id', async () => {
    const org = await newOrg();
    const [owner, member] = [org.owner, role(org, 'MEMBER')];
    const unknown = randomUUID();
    const created = await gql(app, CreateDocumentDocument, { input: { title: 'Audited' } }, { token: member.token });
    const id = ok(created).createDocument.id;
    const steps = [
      { res: created, action: 'document.create', actor: member, targetId: id },
      { res: await gql(app, UpdateDocumentDocument, { id, input: { body: 'b' } }, { token: member.token }), action: 'document.update', actor: member, targetId: id },
      { res: await gql(app, DocumentDocument, { id }, { token: owner.token }), action: 'document.read', actor: owner, targetId: id },
      { res: await gql(app, ArchiveDocumentDocument, { id }, { token: member.token }), action: 'document.archive', actor: member, targetId: id },
      { res: await gql(app, DocumentDocument, { id: unknown }, { token: owner.token }), action: 'document.read.denied', actor: owner, targetId: unknown },
      { res: await gql(app, UpdateDocumentDocument, { id: unknown, input: { title: 'x' } }, { token: member.token }), action: 'document.update.denied', actor: member, targetId: unknown },
      { res: await gql(app, DeleteDocumentDocument, { id }, { token: owner.token }), action: 'document.delete', actor: owner, targetId: id },
    ];
    expect(codes(steps[5]!.res)).toEqual(['NOT_FOUND']);
    for (const s of steps.filter((s) => !s.action.endsWith('.denied'))) ok<unknown>(s.res);

    const events = await activityOf(app, owner.token);
    expect(events.map(({ action, actor, targetType, targetId, requestId }) => ({ action, actor, targetType, targetId, requestId }))).toEqual(
      steps.reverse().map((s) => ({ action: s.action, actor: { id: s.actor.id }, targetType: 'Document', targetId: s.targetId, requestId: s.res.requestId })),
    );
    const times = events.map((e) => Date.parse(e.createdAt));
    expect(times).toEqual([...times].sort((x, y) => y - x));
  });

  it('echoes a client-sent x-request-id and records it', async () => {
    const org = await newOrg();
    const res = await gql(app, DocumentDocument, { id: org.documents[0]!.id }, { token: org.owner.token, headers: { 'x-request-id': 'my-req-123' } });
    expect(ok(res).document?.id).toBe(org.documents[0]!.id);
    expect(res.requestId).toBe('my-req-123');
    const [latest] = await activityOf(app, org.owner.token);
    expect(latest).toMatchObject({ action: 'document.read', targetId: org.documents[0]!.id, requestId: 'my-req-123' });
  });

  it('is readable by OWNER and ADMIN only (refusals of it: test/activity-refusals.test.ts)', async () => {
    const org = await newOrg();
    const read = await gql(app, DocumentDocument, { id: org.documents[0]!.id }, { token: role(org, 'MEMBER').token });
    ok(read);
    for (const r of ['OWNER', 'ADMIN']) {
      const nodes = ok<{ activity: { edges: { node: { action: string; requestId: string | null } }[] } }>(
        await gql(app, ActivityDocument, {}, { token: role(org, r).token }),
      ).activity.edges.map((e) => e.node);
      expect(nodes, r).toContainEqual(expect.objectContaining({ action: 'document.read', requestId: read.requestId }));
    }
    for (const r of ['MEMBER', 'VIEWER']) {
      const res = await gql(app, ActivityDocument, {}, { token: role(org, r).token });
      expect(codes(res)).toEqual(['FORBIDDEN']);
      expect(res.data).toBeNull();
    }
  });

  it('records a refusal for a role too low (VIEWER creating, MEMBER deleting another\'s document)', async () => {
    const org = await newOrg();
    const viewer = role(org, 'VIEWER');
    const member = role(org, 'MEMBER');
    const create = await gql(app, CreateDocumentDocument, { input: { title: 'nope' } }, { token: viewer.token });
    const del = await gql(app, DeleteDocumentDocument, { id: org.documents[0]!.id }, { token: member.token });
    expect([codes(create), codes(del)]).toEqual([['FORBIDDEN'], ['FORBIDDEN']]);
    const events = await activityOf(app, org.owner.token);
    expect(events).toContainEqual(expect.objectContaining({ action: 'document.delete.denied', actor: { id: member.id }, targetId: org.documents[0]!.id, requestId: del.requestId }));
    expect(events).toContainEqual(expect.objectContaining({ action: 'document.create.denied', actor: { id: viewer.id }, requestId: create.requestId }));
  });
});

describe('failed mutations leave nothing behind', () => {
  it('a refused or invalid change writes no success event and changes no row', async () => {
    const org = await newOrg();
    const doc = org.documents[0]!;
    const before = await documentRow(app, doc.id);
    const member = role(org, 'MEMBER');
    const attempts = [
      [await gql(app, UpdateDocumentDocument, { id: doc.id, input: { title: 'x'.repeat(201) } }, { token: member.token }), 'BAD_USER_INPUT', null],
      [await gql(app, UpdateDocumentDocument, { id: doc.id, input: { title: 'ok', body: 'y'.repeat(100_001) } }, { token: member.token }), 'BAD_USER_INPUT', null],
      [await gql(app, DeleteDocumentDocument, { id: doc.id }, { token: member.token }), 'FORBIDDEN', 'document.delete.denied'],
      [await gql(app, ArchiveDocumentDocument, { id: randomUUID() }, { token: member.token }), 'NOT_FOUND', 'document.archive.denied'],
    ] as const;
    expect(attempts.map(([res]) => codes(res))).toEqual(attempts.map(([, code]) => [code]));
    expect(await documentRow(app, doc.id)).toEqual(before);

    // Malformed input writes nothing; a refusal writes its `.denied` event and nothing else.
    const events = await tenantRows(app, 'activity_event', org.id);
    expect(attempts.map(([res]) => events.filter((e) => e.request_id === res.requestId).map((e) => e.action))).toEqual(
      attempts.map(([, , action]) => (action ? [action] : [])),
    );
    const tooLong = await gql(app, CreateDocumentDocument, { input: { title: 'x'.repeat(201) } }, { token: member.token });
    expect(codes(tooLong)).toEqual(['BAD_USER_INPUT']);
    expect(await tenantRows(app, 'document', org.id)).toHaveLength(1);
    expect((await tenantRows(app, 'activity_event', org.id)).filter((e) => e.request_id === tooLong.requestId)).toEqual([]);
  });

  it('a change and its event are committed by the same transaction', async () => {
    const org = await newOrg();
    const token = role(org, 'MEMBER').token;
    const created = await gql(app, CreateDocumentDocument, { input: { title: 'tx' } }, { token });
    const id = ok(created).createDocument.id;
    const updated = await gql(app, UpdateDocumentDocument, { id, input: { title: 'tx2' } }, { token });
    ok(updated);
    // xmin is the id of the transaction that wrote the row: after the update, the document's
    // current version and the update's event must share it.
    const xmins = await withSql(app.databaseUrl, async (c) => {
      const doc = await c.query('select xmin::text as x from document where id = $1', [id]);
      const ev = await c.query('select xmin::text as x, action from activity_event where request_id = $1', [updated.requestId]);
      return { doc: doc.rows[0]?.x, events: ev.rows };
    });
    expect(xmins.events).toEqual([{ x: xmins.doc, action: 'document.update' }]);
  });
});
