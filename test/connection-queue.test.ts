import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AddCommentDocument } from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { uploadFile } from './support/files-helpers.js';
import { gql, gqlOk } from './support/graphql.js';

// One request, one connection, one queue (src/tenancy/connection-queue.ts): a page of documents
// whose comments and files come from fixed statements (TenantSql), beside the members, the
// invitations and the audit trail, which come from the ORM, resolved side by side by GraphQL. Without the queue those statements reach
// `pg` while another runs on the same connection: pg 8 queues them and warns, pg 9 refuses.

let app: TestApp;
let a: TestOrg;
let b: TestOrg;
let fileId: string;

beforeAll(async () => {
  app = await startApp({ STORAGE_SIGNING_SECRET: 'q'.repeat(40) });
  [a, b] = await Promise.all([createOrg(app, { documents: 4 }), createOrg(app, { documents: 2 })]);
  for (const doc of a.documents.slice(0, 3)) {
    await gqlOk(app, AddCommentDocument, { documentId: doc.id, body: `on ${doc.title}` }, { token: a.owner.token });
  }
  await gqlOk(app, AddCommentDocument, { documentId: b.documents[0]!.id, body: 'of b' }, { token: b.owner.token });
  fileId = await uploadFile(app, a.owner.token, a.documents[1]!.id, 'queued bytes', 'queued.txt');
  await uploadFile(app, b.owner.token, b.documents[0]!.id, 'b bytes', 'b.txt');
});
afterAll(() => app?.close());

const PAGE = `query {
  documents(first: 10) { edges { node {
    id title createdBy { id name }
    comments(first: 3) { body author { id } }
    files { id filename }
  } } }
  members { role }
  invitations { id }
  activity(first: 5) { edges { node { action } } }
}`;

type Page = { members: { role: string }[]; documents: { edges: { node: { id: string; title: string; createdBy: { id: string }; comments: { body: string }[]; files: { id: string; filename: string }[] } }[] } };

/**
 * Runs `fn` and reports what pg saw: how many statements were handed to a client that was still
 * running one (read from pg 8's own queue; the fields are asserted so an upgrade that renames them
 * fails here rather than passing silently), and every DeprecationWarning the process emitted.
 */
async function watchPg(fn: () => Promise<void>): Promise<{ sent: number; overlapping: number; warnings: string[] }> {
  const warnings: string[] = [];
  const onWarning = (w: Error) => void (w.name === 'DeprecationWarning' && warnings.push(w.message));
  process.on('warning', onWarning);
  let sent = 0;
  let overlapping = 0;
  const query = pg.Client.prototype.query;
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const internals = this as unknown as { _activeQuery?: unknown; _queryQueue?: unknown[] };
    expect(internals).toHaveProperty('_queryQueue');
    expect(internals).toHaveProperty('_activeQuery');
    sent += 1;
    if (internals._activeQuery || internals._queryQueue!.length > 0) overlapping += 1;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query);
  try {
    await fn();
    await new Promise((r) => setImmediate(r)); // process warnings are emitted on the next tick
    return { sent, overlapping, warnings };
  } finally {
    spy.mockRestore();
    process.off('warning', onWarning);
  }
}

describe('one queue per request connection', () => {
  it('a page of documents (fixed statements) and the members, invitations and audit trail (ORM) resolve side by side: no overlap, no warning, the right rows', async () => {
    let res: Awaited<ReturnType<typeof gql<Page, never>>> | undefined;
    const seen = await watchPg(async () => {
      res = await gql<Page, never>(app, PAGE, undefined, { token: a.owner.token });
    });
    expect(res!.errors).toBeUndefined();
    const nodes = res!.data!.documents.edges.map((e) => e.node);
    // Newest first; the factory made Doc 3 the newest.
    expect(nodes.map((n) => n.id)).toEqual([...a.documents].reverse().map((d) => d.id));
    for (const node of nodes) {
      const i = a.documents.findIndex((d) => d.id === node.id);
      expect(node.createdBy.id).toBe(a.owner.id);
      expect(node.comments).toEqual(i < 3 ? [{ body: `on ${node.title}`, author: { id: a.owner.id } }] : []);
      expect(node.files).toEqual(i === 1 ? [{ id: fileId, filename: 'queued.txt' }] : []);
    }
    expect(res!.data!.members).toEqual([{ role: 'OWNER' }]);
    // BEGIN+enter, the page, the comments, the files, the members, the invitations, the audit trail (and its own audit event), COMMIT.
    expect(seen.sent).toBeGreaterThanOrEqual(8);
    expect(seen.warnings).toEqual([]);
    expect(seen.overlapping).toBe(0);
  });

  it('keeps each organization to its own rows when requests of two organizations interleave', async () => {
    const [ra, rb] = await Promise.all([
      gql<Page, never>(app, PAGE, undefined, { token: a.owner.token }),
      gql<Page, never>(app, PAGE, undefined, { token: b.owner.token }),
    ]);
    expect(ra.data!.documents.edges.map((e) => e.node.id).sort()).toEqual(a.documents.map((d) => d.id).sort());
    const bNodes = rb.data!.documents.edges.map((e) => e.node);
    expect(bNodes.map((n) => n.id).sort()).toEqual(b.documents.map((d) => d.id).sort());
    expect(bNodes.flatMap((n) => n.files.map((f) => f.filename))).toEqual(['b.txt']);
    expect(bNodes.flatMap((n) => n.comments.map((c) => c.body))).toEqual(['of b']);
  });
});
