import pg from 'pg';

export interface Scale {
  /** Ordinary organizations, each with one OWNER user. */
  organizations: number;
  /** Documents per ordinary organization. */
  documentsPerOrganization: number;
  /** One extra, large organization for the deep keyset page. */
  bigOrganizationDocuments: number;
  /** Users (MEMBER) of the large organization, so its requests too use many tokens. */
  bigOrganizationMembers: number;
  /** Comments on each document of the ordinary organizations (the to-many relation); default 0. */
  commentsPerDocument?: number;
}

export interface SeededData {
  /** One entry per ordinary organization: its owner, and a document id for `document(id)`. */
  tenants: { organizationId: string; userId: string; documentId: string }[];
  big: { organizationId: string; userIds: string[]; deepCursor: string; deepOffset: number };
}

// Deterministic ids: md5 of a label, as a uuid. Organization 0 is the large one.
const orgId = (g: string) => `md5('bench-org-' || ${g})::uuid`;
const userId = (g: string) => `md5('bench-user-' || ${g})::uuid`;
const bigUserId = (k: string) => `md5('bench-big-user-' || ${k})::uuid`;

/**
 * Bulk-loads the benchmark data with plain SQL (one INSERT ... SELECT generate_series per table,
 * indexes and constraints as the migrations made them), as the schema owner, then VACUUM
 * ANALYZE and CHECKPOINT. Documents get distinct `created_at` values a minute apart, so pages are
 * stable. 1M documents take ~35-45 s on the 2-core machine (a third of it the deferred foreign-key
 * checks at COMMIT).
 */
export async function seed(url: string, scale: Scale): Promise<SeededData> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { organizations: n, documentsPerOrganization: m, bigOrganizationDocuments: big, bigOrganizationMembers: k } = scale;
    await client.query('begin');
    await client.query(`insert into organization (id, name, slug)
      select ${orgId('g')}, 'Bench organization ' || g, 'bench-' || g from generate_series(0, ${n}) g`);
    // password_hash is a placeholder: the benchmark signs tokens directly and never logs in.
    await client.query(`insert into "user" (id, email, name, password_hash)
      select ${userId('g')}, 'owner-' || g || '@bench.test', 'Owner ' || g, 'not-a-hash' from generate_series(0, ${n}) g`);
    await client.query(`insert into "user" (id, email, name, password_hash)
      select ${bigUserId('k')}, 'big-member-' || k || '@bench.test', 'Big member ' || k, 'not-a-hash' from generate_series(1, ${k}) k`);
    await client.query(`insert into membership (organization_id, user_id, role)
      select ${orgId('g')}, ${userId('g')}, 'OWNER' from generate_series(0, ${n}) g`);
    await client.query(`insert into membership (organization_id, user_id, role)
      select ${orgId('0')}, ${bigUserId('k')}, 'MEMBER' from generate_series(1, ${k}) k`);
    await client.query(`insert into document (id, organization_id, title, body, created_by_id, created_at, updated_at)
      select gen_random_uuid(), ${orgId('g')}, 'Document ' || g || '-' || d, repeat('Lorem ipsum dolor sit amet. ', 8), ${userId('g')},
             t, t
        from generate_series(1, ${n}) g, generate_series(1, ${m}) d,
             lateral (select timestamptz '2026-01-01T00:00:00Z' - d * interval '1 minute' as t) ts`);
    await client.query(`insert into document (id, organization_id, title, body, created_by_id, created_at, updated_at)
      select gen_random_uuid(), ${orgId('0')}, 'Big document ' || d, repeat('Lorem ipsum dolor sit amet. ', 8),
             case when d % 2 = 0 then ${userId('0')} else ${bigUserId(`(1 + d % ${k})`)} end, t, t
        from generate_series(1, ${big}) d,
             lateral (select timestamptz '2026-01-01T00:00:00Z' - d * interval '1 minute' as t) ts`);
    const comments = scale.commentsPerDocument ?? 0;
    if (comments > 0) {
      // By the document's author, a second apart after the document: the first comments in order.
      await client.query(`insert into comment (id, organization_id, document_id, author_id, body, created_at)
        select gen_random_uuid(), d.organization_id, d.id, d.created_by_id, 'Comment ' || c || ' on ' || d.title, d.created_at + c * interval '1 second'
          from document d, generate_series(1, ${comments}) c
         where d.organization_id <> ${orgId('0')}`);
    }
    await client.query('commit');
    // VACUUM as well as ANALYZE (under a second more at 1M rows): sets the freshly loaded pages'
    // hint bits and visibility map, as a long-lived table has them, so the first timed reads do
    // not dirty every page they touch.
    await client.query('vacuum (analyze)');
    // And a CHECKPOINT, so the load's dirty pages (and the checkpoint its WAL, over 1 GB at 1M
    // rows, has started) are written now, not by the checkpointer spreading them over the next
    // minutes of timed runs. Needs superuser or pg_checkpoint: skipped without.
    await client.query('checkpoint').catch(() => undefined);

    const tenants = await client.query<{ organization_id: string; user_id: string; document_id: string }>(
      `select ${orgId('g')} as organization_id, ${userId('g')} as user_id,
              (select id from document where organization_id = ${orgId('g')} order by created_at desc, id desc offset ${Math.floor(m / 2)} limit 1) as document_id
         from generate_series(1, ${n}) g order by g`,
    );
    const deepOffset = Math.floor(big * 0.8);
    const deep = await client.query<{ created_at: Date; id: string }>(
      `select created_at, id from document where organization_id = ${orgId('0')} order by created_at desc, id desc offset ${deepOffset} limit 1`,
    );
    const bigUsers = await client.query<{ id: string }>(`select ${bigUserId('k')} as id from generate_series(1, ${k}) k`);
    const row = deep.rows[0];
    if (!row) throw new Error('seeding failed: no deep cursor row');
    return {
      tenants: tenants.rows.map((r) => ({ organizationId: r.organization_id, userId: r.user_id, documentId: r.document_id })),
      big: {
        organizationId: (await client.query<{ id: string }>(`select ${orgId('0')} as id`)).rows[0]!.id,
        userIds: bigUsers.rows.map((r) => r.id),
        // MikroORM's cursor encoding (base64url of JSON [createdAt, id]): what pageInfo.endCursor would be.
        deepCursor: Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url'),
        deepOffset,
      },
    };
  } finally {
    await client.end();
  }
}
