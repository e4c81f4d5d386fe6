/**
 * The one place that turns an error into a message and an exit code (the contract is in
 * docs/errors.md). User errors (ToolError) print a message and a hint, never a stack trace; anything
 * else is a bug in iamtrim and prints its stack. Every line printed is first scrubbed of secrets.
 */
import { CommanderError } from 'commander';
import { ExitCode, ToolError } from '../errors.js';
import type { CliIo } from './io.js';

/** Environment variables whose values are credentials and must never be printed. */
const SECRET_ENV = ['GITHUB_TOKEN', 'GH_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID'] as const;

/** Token shapes worth hiding even when they did not come from our environment (e.g. quoted from a file). */
const SECRET_PATTERNS = [/\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, /\bgithub_pat_[A-Za-z0-9_]{30,}\b/g, /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g];

/**
 * Replaces credentials in text: the values of the secret environment variables, and anything shaped
 * like a GitHub token or an AWS access key id. Error messages can quote file contents or upstream
 * responses, so they are scrubbed on the way out rather than trusted.
 */
export function redactSecrets(text: string, env: Readonly<Record<string, string | undefined>>): string {
  let out = text;
  for (const name of SECRET_ENV) {
    const value = env[name];
    if (value !== undefined && value.length >= 8) out = out.split(value).join(`<${name}>`);
  }
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '<redacted>');
  return out;
}

const BUG = '  This is a bug in iamtrim; nothing was written. Please report it with the command you ran.\n';

/**
 * Whether stderr gets colour: never when NO_COLOR is set to anything (no-color.org) or TERM is
 * dumb; when FORCE_COLOR is set (and not 0); else only on a terminal.
 */
export function colourWanted(env: CliIo['env'], terminal: boolean): boolean {
  if ((env['NO_COLOR'] ?? '') !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0') return true;
  return terminal && env['TERM'] !== 'dumb';
}

const RED = (text: string): string => `\u001b[1;31m${text}\u001b[0m`;
const DIM = (text: string): string => `\u001b[2m${text}\u001b[0m`;

export function reportError(error: unknown, io: CliIo, options: { debug?: boolean } = {}): ExitCode {
  const debug = options.debug === true;
  const colour = colourWanted(io.env, io.interactive);
  const print = (text: string): void => {
    const clean = redactSecrets(text, io.env);
    io.err(colour ? clean.replace(/^iamtrim:/, RED('iamtrim:')).replace(/^( {2}hint:)/, DIM('$1')) : clean);
  };
  if (error instanceof CommanderError) {
    if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
      return ExitCode.Ok;
    }
    return ExitCode.Usage; // commander has already printed the message
  }
  if (error instanceof ToolError) {
    print(`iamtrim: ${error.message}\n`);
    if (error.hint !== undefined) print(`  hint: ${error.hint}\n`);
    if (debug && error.exitCode !== ExitCode.Internal && error.cause !== undefined) {
      print(`  cause (--debug): ${error.cause instanceof Error ? (error.cause.stack ?? error.cause.message) : String(error.cause)}\n`);
    }
    if (error.exitCode === ExitCode.Internal) {
      const cause = error.cause instanceof Error ? `  cause: ${error.cause.stack ?? error.cause.message}\n` : '';
      print(`${cause}${BUG}`);
    }
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  print(`iamtrim: internal error: ${detail}\n${BUG}`);
  return ExitCode.Internal;
}
