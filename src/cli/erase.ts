import { userInfo } from 'node:os';
import { ErasureRefused, eraseOrganization, type ErasureReport } from '../tenancy/mobility/erase.js';
import { storageProvider } from '../storage/index.js';
import { CliError } from './cli-error.js';
import { loadServerConfig } from './deployment-context.js';
import type { CommandOutput } from './command.js';
import { resolve } from './move.js';
import { renderTable } from './table.js';

/** `erase <org> --confirm <slug>`: erases the organization everywhere and leaves a tombstone (src/tenancy/mobility/erase.ts). */
export async function eraseCommand(organization: string, confirm: string): Promise<CommandOutput<ErasureReport>> {
  const { urls, id } = await resolve(organization);
  const by = userInfo().username; // the operator running the command, for the tombstone
  let report: ErasureReport;
  try {
    report = await eraseOrganization(id, confirm, urls, by, await storageProvider(loadServerConfig().storage));
  } catch (err) {
    if (err instanceof ErasureRefused) throw new CliError(err.message);
    throw err;
  }
  return {
    data: report,
    text: () => {
      const rows = Object.entries(report.counts).flatMap(([placement, tables]) => Object.entries(tables).filter(([, n]) => n > 0).map(([table, n]) => [placement, table, String(n)]));
      return `${renderTable(['placement', 'table', 'rows deleted'], rows)}\nErased ${id} by ${by}: no row of it remains on any placement, nor any of its ${report.objectsErased} stored object(s); ${report.usersErased} account(s) that belonged to no other organization erased; a tombstone records it.`;
    },
  };
}
