/**
 * `parley`: the client SDK on the command line (npm run parley -- <command>, or
 * npx tsx apps/client-sdk/src/cli/main.ts <command>). Results go to stdout, progress and
 * errors to stderr; the exit code says what went wrong (see `parley --help`).
 */
import { CommanderError } from 'commander';
import { describeFailure, EXIT } from './errors';
import { buildProgram } from './program';

async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram({
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not failures; commander printed its own message otherwise.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { message, exitCode } = describeFailure(error);
    process.stderr.write(`parley: ${message}\n`);
    return exitCode;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`parley: unexpected error: ${String(error)}\n`);
    process.exit(EXIT.internal);
  },
);
