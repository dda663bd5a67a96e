import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BaseServiceEnvSchema } from '@parley/server-kit';
import { z } from 'zod';
import {
  buildRows,
  discoverServices,
  docComments,
  loadServiceSchemas,
  renderTable,
  replaceTable,
  TABLE_END,
  TABLE_START,
} from './env-table';

const REPO_ROOT = path.resolve(__dirname, '../..');

describe('README environment table', () => {
  it('matches the services’ config schemas (run `npm run docs:env` when this fails)', async () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const rows = buildRows(REPO_ROOT, BaseServiceEnvSchema, await loadServiceSchemas(REPO_ROOT));
    expect(replaceTable(readme, renderTable(rows))).toBe(readme);
  });

  it('covers every service and every variable of each schema', async () => {
    const services = await loadServiceSchemas(REPO_ROOT);
    expect(services.map((s) => s.service)).toEqual(
      expect.arrayContaining([
        'gateway',
        'prekey-directory',
        'group-membership',
        'message-delivery',
      ]),
    );
    const rows = buildRows(REPO_ROOT, BaseServiceEnvSchema, services);
    for (const { service, schema } of services) {
      for (const name of Object.keys(schema.shape)) {
        const row = rows.find((r) => r.name === name);
        expect(row?.services.includes(service) || row?.services.includes('all')).toBe(true);
      }
    }
    // No row without a meaning, and a base variable appears once.
    expect(rows.every((r) => r.meaning.length > 0)).toBe(true);
    expect(rows.filter((r) => r.name === 'PARLEY_NATS_URL')).toHaveLength(1);
  });
});

describe('table generation', () => {
  const SOURCE = `
    export const S = z.object({
      /** Documented:
       * over two lines. */
      A_VAR: z.string(),
      B_VAR: envInt(1, 2).default(2),
      // not a doc comment
      C_VAR: z.string().optional(),
    });`;

  it('reads doc comments above UPPER_CASE properties only', () => {
    const docs = docComments(SOURCE);
    expect(docs.get('A_VAR')).toBe('Documented: over two lines.');
    expect(docs.has('B_VAR')).toBe(false);
    expect(docs.has('C_VAR')).toBe(false);
  });

  it('renders required, default and unset, and refuses an undocumented variable', () => {
    const base = z.object({
      X_URL: z.string().describe('where X is'),
      X_LIMIT: z.coerce.number().default(3).describe('how many | at most'),
      X_NAME: z.string().optional().describe('its name'),
    });
    const table = renderTable(buildRows(REPO_ROOT, base, []));
    expect(table.startsWith(TABLE_START) && table.endsWith(TABLE_END)).toBe(true);
    expect(table).toContain('| `X_URL` | all | **required** | where X is |');
    expect(table).toContain('| `X_LIMIT` | all | `3` | how many \\| at most |');
    expect(table).toContain('| `X_NAME` | all | (unset) | its name |');
    expect(() => buildRows(REPO_ROOT, z.object({ UNDOCUMENTED: z.string() }), [])).toThrow(
      /UNDOCUMENTED has no meaning/,
    );
  });

  it('finds the config schema of each app', () => {
    const found = discoverServices(REPO_ROOT);
    expect(found).toContainEqual({
      service: 'gateway',
      file: 'apps/gateway/src/gateway.config.ts',
    });
  });
});
