/**
 * The SQL Prisma's own schema engine (offline WebAssembly build) writes for a schema, via
 * libs/db/scripts/prisma-diff.mjs: the reference a migrated database must match.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = path.resolve(__dirname, '../../scripts/prisma-diff.mjs');

export async function prismaReferenceSql(schemaFile: string, url: string): Promise<string> {
  const { stdout } = await run(process.execPath, [SCRIPT, '--to', schemaFile, '--url', url]);
  return stdout;
}
