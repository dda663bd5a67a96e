/**
 * The hand-kept migrations must build exactly the database each Prisma schema describes.
 * Reference: the SQL Prisma's own schema engine writes for the schema (offline wasm build),
 * applied to a second database. Both are read back from pg_catalog and compared per service
 * schema: enums, tables, columns (type, nullability, default), keys and indexes.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, resolvePrismaDir, SERVICE_NAMES, serviceSchema } from '../src';
import { prismaReferenceSql } from './support/prisma-reference';
import type { ScratchDatabase } from './support/scratch-database';
import { createScratchDatabase, withClient } from './support/scratch-database';
import type { SchemaSnapshot } from './support/schema-snapshot';
import { snapshotSchema } from './support/schema-snapshot';

// get_dmmf/get_config of Prisma's schema wasm (no typings ship with it).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const prismaSchemaWasm = require('@prisma/prisma-schema-wasm') as {
  get_dmmf(params: string): string;
  get_config(params: string): string;
};

const prismaDir = resolvePrismaDir();
const schemaFile = (service: string) => path.join(prismaDir, service, 'schema.prisma');

async function snapshot(url: string, schema: string): Promise<SchemaSnapshot> {
  return withClient(url, (c) => snapshotSchema(c, schema));
}

async function applyReference(url: string, file: string) {
  const sql = await prismaReferenceSql(file, url);
  await withClient(url, (c) => c.query(sql));
}

describe('migrations match the Prisma schemas', () => {
  let migrated: ScratchDatabase;
  let reference: ScratchDatabase;

  beforeAll(async () => {
    [migrated, reference] = await Promise.all([
      createScratchDatabase('migrated'),
      createScratchDatabase('reference'),
    ]);
    await migrate({ connectionString: migrated.url });
    for (const service of SERVICE_NAMES) await applyReference(reference.url, schemaFile(service));
  });
  afterAll(async () => {
    await Promise.all([migrated.drop(), reference.drop()]);
  });

  it.each(SERVICE_NAMES)('%s: the migrated schema equals what Prisma expects', async (service) => {
    const schema = serviceSchema(service);
    const [actual, expected] = await Promise.all([
      snapshot(migrated.url, schema),
      snapshot(reference.url, schema),
    ]);
    expect(Object.keys(expected.tables).length).toBeGreaterThan(0);
    expect(actual).toEqual(expected);
  });

  it.each(SERVICE_NAMES)(
    '%s: every model lives in its own schema and its client is generated apart',
    (service) => {
      const params = JSON.stringify({
        prismaSchema: [[schemaFile(service), readFileSync(schemaFile(service), 'utf8')]],
      });
      const dmmf = JSON.parse(prismaSchemaWasm.get_dmmf(params)) as {
        datamodel: { models: { name: string; schema: string | null }[] };
      };
      const config = JSON.parse(
        prismaSchemaWasm.get_config(
          JSON.stringify({ ...JSON.parse(params), datasourceOverrides: {}, ignoreEnvVarErrors: true, env: {} }),
        ),
      ) as {
        config: {
          datasources: { schemas: string[] }[];
          generators: { output: { value: string } | null }[];
        };
      };
      expect(dmmf.datamodel.models.length).toBeGreaterThan(0);
      for (const model of dmmf.datamodel.models) expect([model.name, model.schema]).toEqual([model.name, serviceSchema(service)]);
      expect(config.config.datasources.map((d) => d.schemas)).toEqual([[serviceSchema(service)]]);
      expect(config.config.generators.map((g) => g.output?.value)).toEqual([
        `../../libs/db/src/generated/${service}`,
      ]);
    },
  );

  // The comparison must catch a disagreement in either direction.
  describe('negative cases', () => {
    let scratch: ScratchDatabase;
    let tmp: string;

    beforeEach(async () => {
      scratch = await createScratchDatabase('negative');
      tmp = mkdtempSync(path.join(tmpdir(), 'parley-schema-'));
    });
    afterEach(async () => {
      await scratch.drop();
      rmSync(tmp, { recursive: true, force: true });
    });

    it('fails when the Prisma schema changes but no migration follows', async () => {
      const edited = path.join(tmp, 'schema.prisma');
      copyFileSync(schemaFile('prekey-directory'), edited);
      const source = readFileSync(edited, 'utf8');
      // identityKey becomes optional, and a new index appears.
      const changed = source
        .replace(/identityKey(\s+)Bytes /, 'identityKey$1Bytes?')
        .replace('@@map("accounts")', '@@index([createdAt])\n  @@map("accounts")');
      expect(changed).not.toBe(source);
      writeFileSync(edited, changed);
      await applyReference(scratch.url, edited);

      const [actual, expected] = await Promise.all([
        snapshot(migrated.url, 'prekey_directory'),
        snapshot(scratch.url, 'prekey_directory'),
      ]);
      expect(actual).not.toEqual(expected);
      expect(actual.tables['devices']?.columns['identity_key']?.notNull).toBe(true);
      expect(expected.tables['devices']?.columns['identity_key']?.notNull).toBe(false);
      expect(Object.keys(expected.tables['accounts']?.indexes ?? {})).toContain('accounts_created_at_idx');
    });

    it('fails when a migration drifts from the Prisma schema', async () => {
      await migrate({ connectionString: scratch.url, services: ['message-delivery'] });
      await withClient(scratch.url, (c) =>
        c.query(
          'ALTER TABLE message_delivery.sends ALTER COLUMN group_epoch TYPE BIGINT;' +
            'DROP INDEX message_delivery.sends_stored_at_idx;',
        ),
      );
      const [actual, expected] = await Promise.all([
        snapshot(scratch.url, 'message_delivery'),
        snapshot(reference.url, 'message_delivery'),
      ]);
      expect(actual).not.toEqual(expected);
      expect(actual.tables['sends']?.columns['group_epoch']?.type).toBe('bigint');
      expect(expected.tables['sends']?.columns['group_epoch']?.type).toBe('integer');
    });
  });
});
