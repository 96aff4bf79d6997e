/**
 * The store's backend cannot be reached right now (Redis is down, the connection dropped, a
 * command timed out). Not the caller's fault and usually temporary: the gateway answers 503 and
 * the store reconnects on its own.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const isStoreUnavailable = (err: unknown): err is StoreUnavailableError => err instanceof StoreUnavailableError;
