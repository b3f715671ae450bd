/** Exit codes, documented in `txbox --help` and docs/service.md. */
export const EXIT = { ok: 0, failure: 1, usage: 2, behind: 3 } as const;

/** An error the CLI reports as one line and an exit code, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** txbox's option errors are usage errors: the input, not the world, is wrong. */
export function describeError(error: unknown, prefix = ''): CliError {
  if (error instanceof CliError) return error;
  const e = error as { code?: unknown; message?: unknown; field?: unknown } | null;
  const message = `${prefix}${String(e?.message ?? error)}`;
  const usage = e?.code === 'INVALID_OPTION' || e?.code === 'INVALID_ARGUMENT';
  return new CliError(message, usage ? EXIT.usage : EXIT.failure);
}
