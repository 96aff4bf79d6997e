/** A simulator cannot start as asked (a bad flag value, a missing token): the user's to fix, no stack trace. */
export class StartupError extends Error {
  override readonly name: string = 'StartupError';
}
