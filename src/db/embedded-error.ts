/**
 * A failure of the embedded PostgreSQL that the person starting the server can act on: the
 * message is one sentence saying what went wrong and what to do, so callers print the message
 * alone (no stack trace: it would only hide the sentence).
 */
export class EmbeddedDatabaseError extends Error {
  override name = 'EmbeddedDatabaseError';
}
