/**
 * `npm run docs:env` writes the environment table into README.md;
 * `npm run docs:env -- --check` exits 1 when the README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BaseServiceEnvSchema } from '@parley/server-kit';
import { buildRows, loadServiceSchemas, renderTable, replaceTable } from './env-table';

const REPO_ROOT = path.resolve(__dirname, '../..');

async function main(): Promise<number> {
  const readmePath = path.join(REPO_ROOT, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const rows = buildRows(REPO_ROOT, BaseServiceEnvSchema, await loadServiceSchemas(REPO_ROOT));
  const updated = replaceTable(readme, renderTable(rows));
  if (process.argv.includes('--check')) {
    if (updated === readme) return 0;
    process.stderr.write('README.md environment table is out of date: run `npm run docs:env`\n');
    return 1;
  }
  if (updated !== readme) writeFileSync(readmePath, updated);
  process.stderr.write(`README.md: ${rows.length} variables\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
