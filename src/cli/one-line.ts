import { MissingDependencyError } from '../optional-deps.js';
import { UsageError } from './flags.js';

/**
 * Run a command so that any failure is one line on stderr and exit 1, with the stack only under
 * `--debug`; that includes errors thrown outside our code (Pact's proxy throws on a refused
 * connection). Usage errors and a missing optional package still go to main (exit 2).
 */
export async function oneLineFailures(command: string, debug: boolean, body: () => Promise<void>): Promise<void> {
  const fail = (err: unknown) => {
    const e = err as Error;
    process.stderr.write(`gwsim ${command}: ${e?.message ?? String(err)}\n${debug && e?.stack ? `${e.stack}\n` : ''}`);
  };
  const uncaught = (err: unknown) => {
    fail(new Error(`the target stopped answering mid-run: ${(err as Error)?.message ?? String(err)}`, { cause: err }));
    process.exit(1);
  };
  process.on('uncaughtException', uncaught);
  try {
    await body();
  } catch (err) {
    if (err instanceof UsageError || err instanceof MissingDependencyError) throw err;
    fail(err);
    process.exitCode = 1;
  } finally {
    process.off('uncaughtException', uncaught);
  }
}
