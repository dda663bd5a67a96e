/**
 * What Prisma relies on in one PostgreSQL schema, read from pg_catalog: enums, tables,
 * columns (type, nullability, default), primary/unique/foreign keys and indexes, each as
 * PostgreSQL itself prints it. CHECK constraints are left out on purpose: Prisma cannot
 * express them, so migrations may add them freely. The tracking table is left out too.
 */
import type { Client } from 'pg';

export interface SchemaSnapshot {
  enums: Record<string, string[]>;
  tables: Record<string, TableSnapshot>;
}

export interface TableSnapshot {
  columns: Record<string, { type: string; notNull: boolean; default: string | null }>;
  constraints: Record<string, string>;
  indexes: Record<string, string>;
}

const byName = <T>(rows: { name: string; value: T }[]) =>
  Object.fromEntries(rows.map((r) => [r.name, r.value])) as Record<string, T>;

export async function snapshotSchema(client: Client, schema: string): Promise<SchemaSnapshot> {
  const enums = await client.query<{ name: string; labels: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
       JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = $1 GROUP BY t.typname ORDER BY t.typname`,
    [schema],
  );
  const tables = await client.query<{ oid: number; name: string }>(
    `SELECT c.oid, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname <> '_prisma_migrations'
      ORDER BY c.relname`,
    [schema],
  );
  const snapshot: SchemaSnapshot = {
    enums: byName(enums.rows.map((r) => ({ name: r.name, value: r.labels }))),
    tables: {},
  };
  for (const table of tables.rows) {
    const columns = await client.query<{ name: string; type: string; not_null: boolean; def: string | null }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
              a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS def
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attname`,
      [table.oid],
    );
    const constraints = await client.query<{ name: string; def: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = $1 AND contype IN ('p', 'u', 'f') ORDER BY conname`,
      [table.oid],
    );
    const indexes = await client.query<{ name: string; def: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = $1 ORDER BY i.relname`,
      [table.oid],
    );
    snapshot.tables[table.name] = {
      columns: byName(
        columns.rows.map((c) => ({
          name: c.name,
          value: { type: c.type, notNull: c.not_null, default: c.def },
        })),
      ),
      constraints: byName(constraints.rows.map((c) => ({ name: c.name, value: c.def }))),
      indexes: byName(indexes.rows.map((i) => ({ name: i.name, value: i.def }))),
    };
  }
  return snapshot;
}
