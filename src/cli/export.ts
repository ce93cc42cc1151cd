import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { storageProvider } from '../storage/index.js';
import { exportOrganization } from '../tenancy/mobility/export-organization.js';
import { CliError } from './cli-error.js';
import type { CommandOutput } from './command.js';
import { deploymentContext } from './deployment-context.js';
import { organizationNamed, placementUrl } from './organization-lookup.js';
import { renderTable } from './table.js';

/** `export`'s `--json` shape. */
export interface ExportReport {
  organization: { id: string; slug: string; name: string; placement: string };
  file: string;
  schemaVersion: string;
  includesPasswordHashes: boolean;
  /** Per entry: rows and content hash, as the manifest records them. */
  entries: Record<string, { rows: number; hash: string }>;
  /** Completed files whose bytes the archive carries, and those bytes in all. */
  files: { count: number; bytes: number };
}

/**
 * `export <org> --out <file> [--include-password-hashes]`: the organization's archive
 * (src/tenancy/mobility/export-organization.ts), read on the placement the directory names at
 * its current epoch, with its `organization.export` audit event. Refuses an organization that
 * is not active (being moved, archived, erased). Refuses (exit code 1, before connecting,
 * nothing written) when `out` exists and `force` is not set: an archive replaced by mistake
 * may be the only copy of an erased organization. Checked once at the start: an operator's
 * tool, not a guard against another process creating the file meanwhile.
 */
export async function exportCommand(args: { organization: string; out: string; includePasswordHashes: boolean; force?: boolean }): Promise<CommandOutput<ExportReport>> {
  const file = resolve(args.out);
  if (!args.force && existsSync(file)) throw new CliError(`${file} exists already: choose another --out, or add --force to replace it.`);
  const ctx = await deploymentContext();
  const entry = await organizationNamed(ctx, args.organization);
  if (entry.state !== 'active') throw new CliError(`${entry.slug} is ${entry.state}: only an active organization is exported.`);
  const url = await placementUrl(ctx, entry.placement);
  const manifest = await exportOrganization({ organizationId: entry.id, placement: entry.placement, url, epoch: entry.epoch }, file, {
    includePasswordHashes: args.includePasswordHashes,
    sharedUrl: ctx.sharedUrl,
    storage: await storageProvider(ctx.config.storage),
  });
  const entries = Object.fromEntries(Object.entries(manifest.entries).map(([name, e]) => [name, { rows: e.rows, hash: e.hash }]));
  const report: ExportReport = {
    organization: { id: entry.id, slug: entry.slug, name: entry.name, placement: entry.placement },
    file,
    schemaVersion: manifest.schemaVersion,
    includesPasswordHashes: manifest.includesPasswordHashes,
    entries,
    files: manifest.files ?? { count: 0, bytes: 0 },
  };
  return { data: report, text: () => render(report) };
}

function render(report: ExportReport): string {
  const table = renderTable(['table', 'rows', 'hash'], Object.entries(report.entries).map(([name, e]) => [name, e.rows, e.hash]));
  const hashes = report.includesPasswordHashes
    ? 'It carries password hashes: keep it as secret as the database.'
    : 'Without password hashes: members new to the target deployment sign in after setting a password (see README, "Moving a tenant").';
  const files = `${report.files.count} file(s), ${report.files.bytes} bytes, carried with their SHA-256.`;
  return `${table}\n\n${report.organization.slug} (${report.organization.id}) exported to ${report.file}: ${files} ${hashes}`;
}
