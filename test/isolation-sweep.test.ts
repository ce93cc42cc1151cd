import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddCommentDocument, ArchiveDocumentDocument, DocumentDocument, InviteMemberDocument } from '../src/client/generated/graphql.js';
import { buildSchema } from '../src/graphql/schema.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { PLACEMENT_LAYOUTS, SEPARATE_PLACEMENTS } from './support/placement-layouts.js';
import { sleep } from './support/documents-helpers.js';
import { createOrg, TEST_PASSWORD, type TestOrg } from './support/factories.js';
import { gqlOk } from './support/graphql.js';
import { uploadFile } from './support/files-helpers.js';
import {
  buildCall,
  codesOf,
  comparable,
  cursorsIn,
  findSlots,
  markersOf,
  orgState,
  randomizedCursor,
  send,
  withoutSent,
  type Answer,
  type KnownValues,
  type Slot,
} from './support/sweep-helpers.js';

// The isolation sweep: every Query and Mutation argument that can name a row (an ID, directly
// or inside an input object, or a keyset cursor) is called by A's OWNER with B's values and
// with random ones. Nothing of B may come back, B's value must be indistinguishable from a
// random one, and none of B's rows may change. The slots come from the schema itself.

const schema = buildSchema();
const slots = findSlots(schema);

/** Refusals that happen before a resolver runs: a sweep answered with these tested nothing. */
const NOT_REACHED = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'RATE_LIMITED', 'INTERNAL_SERVER_ERROR']);

// Run for each layout: one database, and organizations spread over placements (issue 10).
describe.each([PLACEMENT_LAYOUTS[0], SEPARATE_PLACEMENTS])('$layout', ({ placements }) => {
  let app: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  /** Strings that identify B (and A) in a response, read from their stored rows. */
  let bMarkers: string[];
  let aMarkers: string[];
  /** B's values of every kind of id an argument can carry. */
  let bIds: { what: string; value: string }[];
  /** A's own values for the controls: documents and members not used yet, and an event. */
  let aDocs: string[] = [];
  let aUsers: string[] = [];
  let aEvent = '';
  let aInvitations: string[] = [];
  /** Each organization's uploaded files (ready), made over the API in seed(). */
  const filesOf = new Map<string, string[]>();
  let aFiles: string[] = [];
  /** Each organization's pending invitations, made over the API in seed(). */
  const invitationsOf = new Map<string, string[]>();
  /** Values A's OWNER has itself sent by now: seeing them again in A's own audit trail is no leak. */
  const sent = new Set<string>();

  async function seed(app: TestApp): Promise<TestOrg> {
    const org = await createOrg(app, { roles: ['OWNER', 'ADMIN', 'MEMBER', 'MEMBER'], documents: 12 });
    const token = org.owner.token;
    // The same shape for both: an archived document, a commented one, pending invitations and
    // audit events (a read, an archive, a comment, the invitations).
    await gqlOk(app, ArchiveDocumentDocument, { id: org.documents[0]!.id }, { token });
    await gqlOk(app, AddCommentDocument, { documentId: org.documents[11]!.id, body: `comment of ${org.name}` }, { token });
    await gqlOk(app, DocumentDocument, { id: org.documents[1]!.id }, { token });
    await gqlOk(app, DocumentDocument, { id: org.documents[2]!.id }, { token });
    const invitations: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { inviteMember } = await gqlOk(app, InviteMemberDocument, { input: { email: `invitee-${i}-${org.id}@example.test`, role: 'MEMBER' } }, { token });
      invitations.push(inviteMember.id);
    }
    invitationsOf.set(org.id, invitations);
    // Files on a document, uploaded end to end; several, since deleteFile's control uses one up.
    const files: string[] = [];
    for (let i = 0; i < 4; i++) files.push(await uploadFile(app, token, org.documents[10]!.id, `file ${i} of ${org.name}`, `file-${i}.txt`));
    filesOf.set(org.id, files);
    return org;
  }

  beforeAll(async () => {
    // Limits are not what this file tests: a throttled call would compare equal and test nothing.
    app = await startApp({ RATE_LIMIT_ENABLED: 'false', LOGIN_MAX_FAILURES_PER_EMAIL: '10000', LOGIN_MAX_FAILURES_PER_IP: '100000' }, undefined, { placements: [...placements] });
    a = await seed(app);
    await sleep(5); // B's rows strictly newer than A's: a cursor of B's then lies after A's rows
    b = await seed(app);
    // A cursor compared with "the same position, a random id" must not land on a tie: move any
    // B document that shares a createdAt with one of A's by a millisecond (the factory spaces
    // documents a second apart, so this creates no new tie).
    // A and B may be on different databases: A's times are read from A's, B's rows moved in B's.
    const aTimes = await withSql(app.databaseUrlOf(a.placement), (c) => c.query('select created_at from document where organization_id = $1', [a.id]));
    await withSql(app.databaseUrlOf(b.placement), (c) =>
      c.query(`update document set created_at = created_at + interval '1 millisecond' where organization_id = $1 and created_at = any($2)`, [
        b.id,
        aTimes.rows.map((r: { created_at: Date }) => r.created_at),
      ]),
    );
    const [aState, bState] = await Promise.all([orgState(app.databaseUrls(), a.id), orgState(app.databaseUrls(), b.id)]);
    bMarkers = markersOf(bState, aState);
    aMarkers = markersOf(aState, bState);
    const bEvent = (bState.activity_event[0] as { id: string }).id;
    aEvent = (aState.activity_event[0] as { id: string }).id;
    aDocs = a.documents.slice(3).map((d) => d.id);
    aUsers = a.users.filter((u) => u.role !== 'OWNER').map((u) => u.id);
    aInvitations = [...invitationsOf.get(a.id)!];
    aFiles = [...filesOf.get(a.id)!];
    bIds = [
      { what: "B's organization id", value: b.id },
      ...b.users.map((u) => ({ what: `B's ${u.role} user id`, value: u.id })),
      { what: "B's archived document id", value: b.documents[0]!.id },
      { what: "B's document id", value: b.documents[5]!.id },
      { what: "B's activity event id", value: bEvent },
      { what: "B's invitation id", value: invitationsOf.get(b.id)![0]! },
      { what: "B's file id", value: filesOf.get(b.id)![0]! },
    ];
  });
  afterAll(() => app?.close());

  /** A's own values of each kind, each document and member used once (the controls change them). */
  function aValues(): { what: string; value: string }[] {
    const nextDoc = aDocs.shift() ?? a.documents[a.documents.length - 1]!.id;
    const nextUser = aUsers.shift() ?? a.users[a.users.length - 1]!.id;
    const aAll = invitationsOf.get(a.id)!;
    const nextInvitation = aInvitations.shift() ?? aAll[aAll.length - 1]!;
    const aAllFiles = filesOf.get(a.id)!;
    const nextFile = aFiles.shift() ?? aAllFiles[aAllFiles.length - 1]!;
    return [
      { what: "A's organization id", value: a.id },
      { what: "A's member's user id", value: nextUser },
      { what: "A's document id", value: nextDoc },
      { what: "A's activity event id", value: aEvent },
      { what: "A's invitation id", value: nextInvitation },
      { what: "A's file id", value: nextFile },
    ];
  }

  // requestFileUpload's other fields must pass its checks, or the call never reaches the document.
  const known = (): KnownValues => ({ email: a.owner.email, password: TEST_PASSWORD, contentType: 'text/plain', sha256: 'a'.repeat(64) });

  async function call(slot: Slot, value: string): Promise<Answer> {
    sent.add(value.toLowerCase());
    return send(app.graphqlUrl, buildCall(slot, value, known()), a.owner.token);
  }

  /** B's markers found in a response, apart from values A's OWNER sent itself. */
  function bFound(answer: Answer, value: string): string[] {
    const raw = withoutSent(answer.raw, value).toLowerCase();
    return bMarkers.filter((m) => !sent.has(m) && raw.includes(m));
  }

  /** B's cursors for a list field, read as B's OWNER: the newest, one in the middle, the oldest. */
  async function bCursors(slot: Slot): Promise<string[]> {
    if (slot.operation !== 'query') throw new Error(`${slot.label}: the sweep only reads cursors from queries`);
    const page = await send(app.graphqlUrl, buildCall(slot, undefined, known()), b.owner.token);
    const cursors = cursorsIn(page.body.data);
    if (cursors.length === 0) throw new Error(`${slot.label}: B's list gave no cursor: ${page.raw}`);
    return [...new Set([cursors[0]!, cursors[Math.floor(cursors.length / 2)]!, cursors[cursors.length - 1]!])];
  }

  describe('isolation sweep over the schema', () => {
    it('finds at least the fields known to take ids of tenant-owned rows', () => {
      const labels = slots.map((s) => s.label);
      expect(labels).toEqual(
        expect.arrayContaining([
          'Query.document(id)',
          'Query.documents(after)',
          'Query.activity(after)',
          'Mutation.updateDocument(id)',
          'Mutation.archiveDocument(id)',
          'Mutation.restoreDocument(id)',
          'Mutation.deleteDocument(id)',
          'Mutation.addComment(documentId)',
          'Mutation.removeMember(userId)',
          'Mutation.revokeInvitation(id)',
          'Mutation.switchOrganization(organizationId)',
          'Mutation.login(input.organizationId)',
        ]),
      );
    });

    it.each(slots.map((slot) => ({ label: slot.label, slot })))(
      "$label as A's OWNER with B's values: nothing of B back, same answer as a random value, B unchanged",
      async ({ slot }) => {
        const values = slot.kind === 'cursor' ? (await bCursors(slot)).map((value) => ({ what: "B's cursor", value })) : bIds;
        const before = await orgState(app.databaseUrls(), b.id);
        const problems: string[] = [];
        const answered: Answer[] = [];

        for (const { what, value } of values) {
          const foreign = await call(slot, value);
          const other = slot.kind === 'cursor' ? randomizedCursor(value) : randomUUID();
          const random = await call(slot, other);
          answered.push(foreign);
          const where = `${slot.label} with ${what}`;
          for (const code of codesOf(foreign)) if (NOT_REACHED.has(String(code))) problems.push(`${where}: never reached the resolver (${code}): ${foreign.raw}`);
          const leaked = bFound(foreign, value);
          if (leaked.length) problems.push(`${where}: response carries B's ${leaked.join(', ')}: ${foreign.raw}`);
          const leakedRandom = bFound(random, other);
          if (leakedRandom.length) problems.push(`${where} (random counterpart): response carries B's ${leakedRandom.join(', ')}: ${random.raw}`);
          const [x, y] = [comparable(foreign, value), comparable(random, other)];
          if (JSON.stringify(x) !== JSON.stringify(y)) problems.push(`${where}: answers differently from a random value:\n  B's:    ${JSON.stringify(x)}\n  random: ${JSON.stringify(y)}`);
        }
        expect(problems).toEqual([]);
        expect(await orgState(app.databaseUrls(), b.id), `${slot.label} changed B's rows`).toEqual(before);

        // Controls: the generated calls really reach the data, or the checks above prove nothing.
        if (slot.kind === 'cursor') {
          // With B's newest cursor, A's list (all older than it) comes back: the cursor was used.
          const raw = answered[0]!.raw.toLowerCase();
          expect(aMarkers.some((m) => raw.includes(m)), `${slot.label}: A's rows after B's newest cursor: ${answered[0]!.raw}`).toBe(true);
        } else {
          const outcomes: string[] = [];
          for (const { what, value } of aValues()) {
            const own = await call(slot, value);
            const other = randomUUID();
            const random = await call(slot, other);
            outcomes.push(`${what}: ${own.raw}`);
            if (JSON.stringify(comparable(own, value)) !== JSON.stringify(comparable(random, other))) return;
          }
          expect.fail(`${slot.label}: none of A's own values answers differently from a random one, so the sweep's call never reaches a row:\n${outcomes.join('\n')}`);
        }
      },
    );
  });
});
