/**
 * The exit-code contract, decided in one place (see README "Exit codes").
 * Errors a user can fix carry a hint and never print a stack trace; bugs are InternalError.
 */
export const ExitCode = {
  Ok: 0,
  Findings: 1,
  Usage: 2,
  InvalidInput: 3,
  Upstream: 4,
  Internal: 70,
  /** Ctrl-C (SIGINT): 128 + 2. */
  Interrupted: 130,
  /** stdout closed by its reader (`| head`): 128 + SIGPIPE (13), quietly. */
  BrokenPipe: 141,
  /** SIGTERM: 128 + 15. */
  Terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class ToolError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  constructor(message: string, options?: { hint?: string | undefined; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** A bad flag or combination of flags. */
export class UsageError extends ToolError {
  readonly exitCode = ExitCode.Usage;
}

/** Input data the tool cannot use: a corrupt log file, an IAM snapshot without the role, no evidence. */
export class InputError extends ToolError {
  readonly exitCode = ExitCode.InvalidInput;
}

/** AWS or GitHub failed after retries. */
export class UpstreamError extends ToolError {
  readonly exitCode = ExitCode.Upstream;
}

/** A broken invariant (e.g. the self-check of a proposed policy failed): a bug in iamtrim. */
export class InternalError extends ToolError {
  readonly exitCode = ExitCode.Internal;
}
