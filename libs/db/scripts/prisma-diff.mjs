#!/usr/bin/env node
// Prints the SQL that Prisma's own schema engine (the offline WebAssembly build) would write
// to go from one Prisma schema to another: the draft of a hand-kept migration, and the
// reference the schema-match test compares the migrated database with.
//
//   node libs/db/scripts/prisma-diff.mjs --to prisma/<service>/schema.prisma [--from <old schema>]
//
// Without --from the diff starts from an empty database. The engine insists on opening a
// connection (to DATABASE_URL, or --url) even for this schema-to-schema diff; it changes nothing.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const bg = await import('@prisma/schema-engine-wasm/schema_engine_bg');

async function loadEngine() {
  const wasmPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm');
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
    './schema_engine_bg.js': bg,
  });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start?.();
}

function adapterFor(url) {
  const { PrismaPg } = require('@prisma/adapter-pg');
  // The adapter's own helper, resolved beside it so the versions match.
  const utils = createRequire(require.resolve('@prisma/adapter-pg'))('@prisma/driver-adapter-utils');
  return utils.bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: url }));
}

async function diffSchemas({ fromFile, toFile, url }) {
  await loadEngine();
  const target = (file) => ({
    tag: 'schemaDatamodel',
    files: [{ path: file, content: readFileSync(file, 'utf8') }],
  });
  const engine = await bg.SchemaEngine.new({ datamodels: undefined }, () => {}, adapterFor(url));
  const result = await engine.diff({
    from: fromFile ? target(fromFile) : { tag: 'empty' },
    to: target(toFile),
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  });
  return result.stdout ?? '';
}

const { values } = parseArgs({
  options: { from: { type: 'string' }, to: { type: 'string' }, url: { type: 'string' } },
});
const url =
  values.url ?? process.env.DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres';
if (!values.to) {
  process.stderr.write('usage: prisma-diff.mjs --to <schema.prisma> [--from <schema.prisma>]\n');
  process.exit(64);
}
const sql = await diffSchemas({ fromFile: values.from, toFile: values.to, url });
// Exit at once: the adapter's idle pool would otherwise hold the process for seconds.
process.stdout.write(sql, () => process.exit(0));
