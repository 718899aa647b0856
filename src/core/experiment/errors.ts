import { UserError } from '../onnx/errors.js';

/** Errors the user can act on: bad input (spec, model, data) and the file system (full disk, permissions). */
export function isUserFacing(e: unknown): boolean {
  return e instanceof UserError || (e as Error)?.name === 'DataError' || typeof (e as NodeJS.ErrnoException)?.code === 'string';
}

/**
 * One line (or the lines of a message that lists several problems) for stderr; the stack only when asked for
 * (`--verbose`, or DEBUG set), since an error with no user-facing cause is a bug worth reporting with it.
 */
export function formatError(e: unknown, verbose: boolean): string {
  const err = e instanceof Error ? e : new Error(String(e));
  if (verbose) return [err.stack ?? err.message, ...causes(err).map((c) => `caused by: ${c.stack ?? c.message}`)].join('\n');
  if (isUserFacing(err)) return err.message;
  return `internal error: ${err.message.split('\n')[0]} (run with --verbose for the stack)`;
}

function causes(err: Error): Error[] {
  const out: Error[] = [];
  for (let c = err.cause; c instanceof Error && out.length < 5; c = c.cause) out.push(c);
  return out;
}
