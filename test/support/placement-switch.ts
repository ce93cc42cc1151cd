import { withSql } from './database.js';
import type { TestApp } from './app.js';

/**
 * Switches an organization from one placement to another behind the app's back, as a tenant
 * move's last step does (issue 11 builds the move itself): its rows copied to the target, then
 * the directory (shared database) and both placements' own rows set to the new placement with
 * the next epoch; the source keeps its rows, archived. As the owner, outside the app.
 */
export async function switchPlacement(app: Pick<TestApp, 'databaseUrl' | 'databaseUrlOf'>, organizationId: string, from: string, to: string): Promise<void> {
  const source = app.databaseUrlOf(from);
  const target = app.databaseUrlOf(to);
  await copyOrganization(organizationId, source, target);
  const [{ epoch }] = (await withSql(app.databaseUrl, (c) => c.query('select placement_epoch + 1 as epoch from organization where id = $1', [organizationId]))).rows;
  await withSql(app.databaseUrl, (c) => c.query('update organization set placement = $2, placement_epoch = $3 where id = $1', [organizationId, to, epoch]));
  if (source !== app.databaseUrl) await withSql(source, (c) => c.query(`update organization set placement = $2, state = 'archived', placement_epoch = $3 where id = $1`, [organizationId, to, epoch]));
  if (target !== app.databaseUrl) await withSql(target, (c) => c.query(`update organization set placement = $2, state = 'active', placement_epoch = $3 where id = $1`, [organizationId, to, epoch]));
}

/** Copies an organization's rows (organization, users, memberships, documents) from one placement's database to another's, as the owner. */
async function copyOrganization(organizationId: string, fromUrl: string, toUrl: string): Promise<void> {
  const read = (sql: string) => withSql(fromUrl, (c) => c.query(sql, [organizationId]).then((r) => r.rows));
  const organization = await read('select * from organization where id = $1');
  const users = await read('select u.* from "user" u join membership m on m.user_id = u.id where m.organization_id = $1');
  const memberships = await read('select * from membership where organization_id = $1');
  const documents = await read('select * from document where organization_id = $1');
  await withSql(toUrl, async (c) => {
    await c.query('begin');
    for (const [table, rows] of [['organization', organization], ['user', users], ['membership', memberships], ['document', documents]] as const) {
      for (const row of rows) {
        const columns = Object.keys(row);
        await c.query(
          `insert into "${table}" (${columns.map((k) => `"${k}"`).join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')}) on conflict do nothing`,
          Object.values(row),
        );
      }
    }
    await c.query('commit');
  });
}
