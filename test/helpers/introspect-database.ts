import type { SqlRunner } from '../../src/db/database.ts';
import type { ColumnShape, DatabaseShape, DefaultShape, TableShape } from './database-shape.ts';

/** Prisma's own bookkeeping table: not part of the application schema. */
const IGNORED_TABLES = new Set(['_prisma_migrations']);

const COLUMNS = `
SELECT c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable, c.column_default,
       c.datetime_precision, c.character_maximum_length, c.numeric_precision, c.numeric_scale, t.table_type
FROM information_schema.columns c
JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema()
ORDER BY c.table_name, c.ordinal_position`;

const TABLES = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`;

const ENUMS = `
SELECT t.typname AS name, e.enumlabel AS label
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = current_schema()
ORDER BY t.typname, e.enumsortorder`;

const SEQUENCES = `SELECT sequence_name AS name FROM information_schema.sequences WHERE sequence_schema = current_schema()`;

// One row per index key column, in key order. int2vector/oidvector are 0-based, hence ord - 1.
const INDEXES = `
SELECT t.relname AS table_name, ic.relname AS index_name, am.amname AS method, ix.indisunique AS is_unique,
       pg_get_expr(ix.indpred, ix.indrelid) AS predicate, k.ord::int AS position,
       coalesce(a.attname::text, pg_get_indexdef(ix.indexrelid, k.ord::int, true)) AS column_name,
       oc.opcname::text AS opclass, oc.opcdefault AS opclass_is_default,
       (ix.indoption[(k.ord - 1)::int] & 1) = 1 AS descending
FROM pg_index ix
JOIN pg_class ic ON ic.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_am am ON am.oid = ic.relam
CROSS JOIN LATERAL unnest(ix.indkey::int2[], ix.indclass::oid[]) WITH ORDINALITY AS k(attnum, opclass_oid, ord)
LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum AND k.attnum > 0
LEFT JOIN pg_opclass oc ON oc.oid = k.opclass_oid
WHERE n.nspname = current_schema()
ORDER BY t.relname, ic.relname, k.ord`;

// NOT NULL is checked per column; PostgreSQL 18 also lists it in pg_constraint (contype 'n').
const CONSTRAINTS = `
SELECT t.relname AS table_name, c.conname AS name, c.contype::text AS type,
       c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update, rt.relname AS referenced_table,
       a.attname::text AS column_name, ra.attname::text AS referenced_column
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_class rt ON rt.oid = c.confrelid
LEFT JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refattnum, ord) ON true
LEFT JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
LEFT JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refattnum
WHERE n.nspname = current_schema() AND c.contype <> 'n'
ORDER BY t.relname, c.conname, k.ord`;

type Row = Record<string, string | number | boolean | null>;

/** Reads the current schema of a database into a DatabaseShape (see database-shape.ts). */
export async function introspectDatabase(sql: SqlRunner): Promise<DatabaseShape> {
  const shape: DatabaseShape = { tables: new Map(), enums: new Map(), sequences: new Set() };
  const table = (name: string): TableShape => {
    let t = shape.tables.get(name);
    if (!t) {
      t = { columns: new Map(), indexes: new Map(), constraints: new Map() };
      shape.tables.set(name, t);
    }
    return t;
  };
  for (const r of await sql.query<Row>(TABLES))
    if (!IGNORED_TABLES.has(String(r.table_name))) table(String(r.table_name));
  for (const r of await sql.query<Row>(COLUMNS)) {
    if (IGNORED_TABLES.has(String(r.table_name))) continue;
    table(String(r.table_name)).columns.set(String(r.column_name), await columnShape(sql, r));
  }
  for (const r of await sql.query<Row>(ENUMS)) {
    const labels = shape.enums.get(String(r.name)) ?? [];
    shape.enums.set(String(r.name), [...labels, String(r.label)]);
  }
  for (const r of await sql.query<Row>(SEQUENCES)) shape.sequences.add(String(r.name));
  for (const r of await sql.query<Row>(INDEXES)) {
    if (IGNORED_TABLES.has(String(r.table_name))) continue;
    const indexes = table(String(r.table_name)).indexes;
    const name = String(r.index_name);
    if (!indexes.has(name)) {
      indexes.set(name, {
        unique: r.is_unique === true,
        method: String(r.method),
        columns: [],
        ...(r.predicate ? { predicate: String(r.predicate) } : {}),
      });
    }
    indexes.get(name)!.columns.push({
      column: String(r.column_name),
      descending: r.descending === true,
      // INCLUDE columns have no operator class
      ...(r.opclass === null
        ? { opclassIsDefault: true }
        : { opclass: String(r.opclass), opclassIsDefault: r.opclass_is_default === true }),
    });
  }
  for (const r of await sql.query<Row>(CONSTRAINTS)) {
    if (IGNORED_TABLES.has(String(r.table_name))) continue;
    const constraints = table(String(r.table_name)).constraints;
    const name = String(r.name);
    if (!constraints.has(name)) {
      const references =
        r.type === 'f'
          ? {
              table: String(r.referenced_table),
              columns: [],
              onDelete: String(r.on_delete),
              onUpdate: String(r.on_update),
            }
          : undefined;
      constraints.set(name, { type: String(r.type), columns: [], ...(references ? { references } : {}) });
    }
    const c = constraints.get(name)!;
    if (r.column_name !== null) c.columns.push(String(r.column_name));
    if (r.referenced_column !== null) c.references?.columns.push(String(r.referenced_column));
  }
  return shape;
}

async function columnShape(sql: SqlRunner, r: Row): Promise<ColumnShape> {
  const udt = String(r.udt_name);
  const dataType = String(r.data_type);
  let modifier = '';
  if (dataType.startsWith('timestamp') || dataType.startsWith('time ')) modifier = `(${r.datetime_precision})`;
  else if ((udt === 'varchar' || udt === 'bpchar') && r.character_maximum_length !== null)
    modifier = `(${r.character_maximum_length})`;
  else if (udt === 'numeric' && r.numeric_precision !== null) modifier = `(${r.numeric_precision},${r.numeric_scale})`;
  const type = dataType === 'ARRAY' ? `ARRAY (${udt})` : `${dataType}${modifier} (${udt})`;
  return {
    type,
    nullable: r.is_nullable === 'YES',
    default: r.column_default === null ? null : await defaultShape(sql, String(r.column_default)),
  };
}

async function defaultShape(sql: SqlRunner, expression: string): Promise<DefaultShape> {
  const sequence = /^nextval\('(.+)'::regclass\)$/.exec(expression);
  if (sequence) return { kind: 'sequence', sequence: sequence[1].replace(/^"(.*)"$/, '$1').replace(/""/g, '"') };
  if (/^(CURRENT_TIMESTAMP|now\(\))$/i.test(expression)) return { kind: 'now' };
  // Evaluate the default so `'{}'::jsonb`, `ARRAY[]::text[]` and `'open'::"FollowUpStatus"` compare as values.
  try {
    const [row] = await sql.query<{ v: string }>(`SELECT to_json(${expression})::text AS v`);
    return { kind: 'expression', sql: expression, value: JSON.parse(row.v) };
  } catch {
    return { kind: 'expression', sql: expression };
  }
}
