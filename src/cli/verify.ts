import { storageProvider } from '../storage/index.js';
import { checkObjects, type ObjectCheck } from '../tenancy/mobility/file-objects.js';
import { readOrganizationSnapshot } from '../tenancy/mobility/owner-connection.js';
import { compareOrganization, digestOrganizationAt, type EntryComparison } from '../tenancy/mobility/verify.js';
import { EXIT_FAILURE, usageError } from './cli-error.js';
import type { CommandOutput } from './command.js';
import { deploymentContext } from './deployment-context.js';
import { organizationNamed, placementUrl } from './organization-lookup.js';
import { renderTable } from './table.js';

/** `verify`'s `--json` shape. */
export interface VerifyReport {
  organization: { id: string; slug: string; placement: string };
  against: string;
  /** True when every entry has the same rows and content hash on both placements. */
  equal: boolean;
  /** Per entry: `a` on the organization's placement, `b` on --against (null: absent there). */
  entries: EntryComparison[];
  /** The organization's completed files (on its placement) checked in the deployment's storage: present, with their rows' size and SHA-256. */
  objects: ObjectCheck;
}

/**
 * `verify <org> --against <placement>`: the organization's digest (src/tenancy/mobility/verify.ts:
 * per entry rows and an order-independent content hash, in chunks, its rows only) on the
 * placement the directory names, against its rows on another placement (an archived copy a
 * move left there, say). Each side is read as its database's owner in one read-only snapshot.
 * The organization's completed files are checked in the deployment's storage too (bytes
 * present, with their rows' size and SHA-256). Exit code 0 when the copies are equal and every
 * file's bytes are right, 1 otherwise (the table and the last line say where).
 */
export async function verifyCommand(args: { organization: string; against: string }): Promise<CommandOutput<VerifyReport>> {
  const ctx = await deploymentContext();
  const entry = await organizationNamed(ctx, args.organization);
  if (args.against === entry.placement) throw usageError(`--against names ${entry.placement}, where ${entry.slug} lives: name the placement holding the other copy.`);
  const [hereUrl, thereUrl] = await Promise.all([placementUrl(ctx, entry.placement), placementUrl(ctx, args.against)]);
  const [here, there] = await Promise.all([digestOrganizationAt(hereUrl, entry.id), digestOrganizationAt(thereUrl, entry.id)]);
  const { equal, entries } = compareOrganization(here, there);
  const storage = await storageProvider(ctx.config.storage);
  const objects = await readOrganizationSnapshot(hereUrl, entry.id, (client) => checkObjects(client, entry.id, storage));
  const report: VerifyReport = { organization: { id: entry.id, slug: entry.slug, placement: entry.placement }, against: args.against, equal, entries, objects };
  const objectsRight = objects.missing.length === 0 && objects.mismatched.length === 0;
  return { data: report, text: () => render(report), exitCode: equal && objectsRight ? 0 : EXIT_FAILURE };
}

function render(report: VerifyReport): string {
  const { placement } = report.organization;
  const rows = report.entries.map((e) => [e.name, e.a?.rows ?? '-', e.b?.rows ?? '-', e.a?.hash ?? '-', e.b?.hash ?? '-', e.match ? 'yes' : 'NO']);
  const table = renderTable(['table', `rows ${placement}`, `rows ${report.against}`, `hash ${placement}`, `hash ${report.against}`, 'match'], rows);
  const differing = report.entries.filter((e) => !e.match).map((e) => e.name);
  const verdict = report.equal
    ? `${report.organization.slug}: identical on ${placement} and ${report.against}.`
    : `${report.organization.slug}: ${placement} and ${report.against} differ in ${differing.join(', ')}.`;
  const { files, missing, mismatched } = report.objects;
  const objects =
    missing.length === 0 && mismatched.length === 0
      ? `Its ${files} file(s) have their bytes in storage, with the right SHA-256.`
      : `Of its ${files} file(s), ${missing.length} have no bytes in storage${missing.length ? ` (${missing.slice(0, 5).join(', ')})` : ''} and ${mismatched.length} other bytes${mismatched.length ? ` (${mismatched.slice(0, 5).join(', ')})` : ''}.`;
  return `${table}\n\n${verdict}\n${objects}`;
}
