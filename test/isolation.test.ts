import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentDocument, DocumentsDocument } from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { gql, gqlOk } from './support/graphql.js';
import { PLACEMENT_LAYOUTS, SEPARATE_PLACEMENTS } from './support/placement-layouts.js';

describe.each([...PLACEMENT_LAYOUTS, SEPARATE_PLACEMENTS])("multi-tenant isolation (the design guide's test), $layout", ({ placements }) => {
  let app: TestApp;
  let a: TestOrg;
  let b: TestOrg;

  beforeAll(async () => {
    app = await startApp({}, undefined, { placements: [...placements] });
    a = await createOrg(app, { documents: 3 });
    b = await createOrg(app, { documents: 3 });
  });
  afterAll(() => app?.close());

  it('a user of A cannot get B\'s document, and B\'s id looks exactly like an unknown one', async () => {
    const own = await gqlOk(app, DocumentDocument, { id: a.documents[0]!.id }, { token: a.owner.token });
    expect(own.document?.title).toBe(a.documents[0]!.title);

    const foreign = await gql(app, DocumentDocument, { id: b.documents[0]!.id }, { token: a.owner.token });
    const unknown = await gql(app, DocumentDocument, { id: '00000000-0000-4000-8000-000000000000' }, { token: a.owner.token });
    expect(foreign.data).toEqual({ document: null });
    expect(foreign.errors).toBeUndefined();
    expect(unknown.data).toEqual(foreign.data);
  });

  it('lists only the caller\'s documents', async () => {
    const res = await gqlOk(app, DocumentsDocument, { first: 100 }, { token: a.owner.token });
    const titles = res.documents.edges.map((e) => e.node.title).sort();
    expect(titles).toEqual(a.documents.map((d) => d.title).sort());
  });

  it('A and B are where the layout puts them', () => {
    const expected = { 0: ['shared', 'shared'], 1: ['acme', 'shared'], 2: ['acme', 'beta'] }[placements.length];
    expect([a.placement, b.placement]).toEqual(expected);
  });
});
