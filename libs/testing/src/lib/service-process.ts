/**
 * A service started as its own process the way its `serve` target starts it (tsx with the
 * app's tsconfig), with only PATH and the given environment: process tests check what the
 * service does with exactly the variables they pass. Node itself runs with tsx as a loader,
 * so the child IS the service (the tsx CLI would run it as a grandchild that a SIGKILL of the
 * CLI leaves running): kill -9 tests kill the service itself.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../../../..');

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
}

/** Starts `apps/<app>/src/main.ts`; `nodeArgs` go to node (e.g. --cpu-prof). */
export function spawnServiceProcess(
  app: string,
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): ServiceProcess {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', `apps/${app}/src/main.ts`],
    {
      cwd: REPO,
      env: {
        PATH: process.env['PATH'] ?? '',
        TSX_TSCONFIG_PATH: `apps/${app}/tsconfig.app.json`,
        ...env,
      },
    },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  return { child, exited, output: () => output };
}
