/**
 * The `strata` command line. Exit codes: 0 success, 1 failure, 2 usage error.
 */
import { devCommand } from './commands/dev.js';
import { inspectCommand } from './commands/inspect.js';
import { lsCommand } from './commands/ls.js';
import { putCommand } from './commands/put.js';
import { segmentBuildCommand } from './commands/segment-build.js';
import { statusCommand } from './commands/status.js';
import { CommandError, UsageError, processIo, type Command, type Io } from './usage.js';
import { strataVersion } from './version.js';

const commands: Command[] = [devCommand, segmentBuildCommand, putCommand, inspectCommand, lsCommand, statusCommand];

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return `strata ${strataVersion}: a serverless compaction pipeline for observability data

Usage: strata COMMAND [OPTIONS]

Commands:
${commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Run "strata COMMAND --help" for a command's options.`;
}

/** Finds the command named by the leading words of args (e.g. "segment build"). */
function findCommand(args: string[]): { command: Command; rest: string[] } | undefined {
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.every((word, i) => args[i] === word)) return { command, rest: args.slice(words.length) };
  }
  return undefined;
}

export async function main(args: string[], io: Io = processIo): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    io.out(overview());
    return args.length === 0 ? 2 : 0;
  }
  if (args[0] === '--version') {
    io.out(strataVersion);
    return 0;
  }
  const found = findCommand(args);
  if (found === undefined) {
    io.err(`strata: unknown command "${args.join(' ')}"\n\n${overview()}`);
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    await command.run(rest, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`strata ${command.name}: ${error.message}\n\n${command.help}`);
      return 2;
    }
    if (error instanceof CommandError) {
      io.err(`strata ${command.name}: ${error.message}`);
      return 1;
    }
    io.err(`strata ${command.name}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return 1;
  }
}
