/**
 * Command-line plumbing shared by every `strata` command: usage errors (exit 2), option parsing
 * that reports unknown or malformed options as usage errors, and the output streams.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The user called a command wrongly; the CLI prints the message and the command's help, exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command ran and failed in a way the user can act on; exits 1 with the message. */
export class CommandError extends Error {
  override name = 'CommandError';
}

export interface Command {
  name: string;
  summary: string;
  help: string;
  run(args: string[], io: Io): Promise<void>;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress bars go there. */
  interactive: boolean;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
  interactive: process.stderr.isTTY === true,
};

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses options strictly, with `--help` always accepted; a malformed call becomes a UsageError. */
export function parseOptions<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Parses a whole number option, or throws a UsageError naming it. */
export function integerOption(name: string, value: string | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return parsed;
}
