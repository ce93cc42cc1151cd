/**
 * An export, import or verification that cannot be carried out as asked, for a reason the
 * operator can act on (the organization is not active where the directory says, an archive's
 * hashes disagree with its manifest, the organization already exists in the target...). The
 * message is one sentence for the operator; it never carries a URL or SQL.
 */
export class MobilityError extends Error {
  override name = 'MobilityError';
}
