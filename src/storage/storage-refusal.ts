/**
 * The configured store cannot be used (no credentials, a missing or public container, an
 * unreachable endpoint): raised at start, before anything is served. The message is one sentence
 * for the operator, saying what to fix; the start-up log prints it alone, without a stack.
 */
export class StorageRefusal extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageRefusal';
  }
}
