/** Typed errors, each keeping the underlying cause, so callers can tell bad input from AWS trouble. */

/** The caller sent something we will not act on. Nothing was changed. */
export class InputError extends Error {
  override readonly name: string = 'InputError';
}

/** An AWS call failed in a way that is not "already done". */
export class AwsCallError extends Error {
  override readonly name: string = 'AwsCallError';
  constructor(
    readonly operation: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${operation}: ${message}`, options);
  }
}

/** The error code the SDK reports ("InvalidGroup.NotFound"), whatever the error's class. */
export function errorCode(err: unknown): string | undefined {
  if (err && typeof err === 'object') {
    const e = err as { Code?: unknown; code?: unknown; name?: unknown };
    for (const v of [e.Code, e.code, e.name]) if (typeof v === 'string' && v !== 'Error') return v;
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
