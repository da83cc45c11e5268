/**
 * `seam <command>`: one entry for operators, batch jobs and the service itself.
 * Exit codes scripts can trust: 0 done, 1 failed, 2 bad usage or configuration.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { commands } from './commands/index.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** An error the CLI reports as one line, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}

export function buildProgram(): Command {
  const program = new Command('seam')
    .description('seam: a safe wrapper that lets AI agents read a legacy system and propose writes')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof ConfigError) {
      console.error(`seam: ${err.message}`);
      process.exitCode = EXIT.usage;
      return;
    }
    if (err instanceof CliError) {
      console.error(`seam: ${err.message}`);
      process.exitCode = err.exitCode;
      return;
    }
    console.error(`seam: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = EXIT.failed;
  }
}
