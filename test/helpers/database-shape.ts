import { isDeepStrictEqual } from 'node:util';

/**
 * The parts of a PostgreSQL schema that Prisma manages, in one comparable form. The drift test builds
 * one from schema.prisma (what should exist) and one by introspecting a migrated database (what does).
 */
export interface DatabaseShape {
  tables: Map<string, TableShape>;
  /** Enum name -> labels in sort order. */
  enums: Map<string, string[]>;
  sequences: Set<string>;
}

export interface TableShape {
  columns: Map<string, ColumnShape>;
  /** Index name -> index, including the primary key's and unique constraints' indexes. */
  indexes: Map<string, IndexShape>;
  /** Constraint name -> constraint (primary keys, foreign keys and anything else that is not NOT NULL). */
  constraints: Map<string, ConstraintShape>;
}

export interface ColumnShape {
  /** `data_type(modifier) (udt_name)`, e.g. `timestamp with time zone(3) (timestamptz)`, `USER-DEFINED (Direction)`. */
  type: string;
  nullable: boolean;
  default: DefaultShape | null;
}

export type DefaultShape =
  | { kind: 'now' }
  | { kind: 'sequence'; sequence: string }
  /** A constant from schema.prisma, compared with what the database's default expression evaluates to. */
  | { kind: 'value'; value: unknown }
  /** An expression: from `dbgenerated(...)`, or any default found in the database (with its evaluated value). */
  | { kind: 'expression'; sql: string; value?: unknown };

export interface IndexShape {
  unique: boolean;
  /** pg_am name: btree, gin, gist, hash, brin, spgist. */
  method: string;
  columns: IndexColumnShape[];
  /** WHERE clause of a partial index. */
  predicate?: string;
}

export interface IndexColumnShape {
  /** Column name, or the expression for an expression index. */
  column: string;
  descending: boolean;
  /** Declared operator class; undefined means the default one for the column type and method. */
  opclass?: string;
  /** Only from introspection: whether `opclass` is the default one. */
  opclassIsDefault?: boolean;
}

export interface ConstraintShape {
  /** pg_constraint.contype: p primary key, f foreign key, u unique, c check, x exclusion, t trigger. */
  type: string;
  columns: string[];
  references?: { table: string; columns: string[]; onDelete: string; onUpdate: string };
}

/** Known indexes the schema cannot declare: name -> why it exists. */
export type IndexAllowList = Record<string, string>;

/**
 * Lists every difference between `expected` (schema.prisma) and `actual` (the database), one readable line
 * each, sorted. Indexes in `allowedExtraIndexes` may exist without being declared, but must exist.
 */
export function compareDatabaseShapes(
  expected: DatabaseShape,
  actual: DatabaseShape,
  allowedExtraIndexes: IndexAllowList = {},
): string[] {
  const out: string[] = [];
  compareKeys('table', '', expected.tables, actual.tables, out);
  compareKeys('enum', '', expected.enums, actual.enums, out);
  compareKeys('sequence', '', toMap(expected.sequences), toMap(actual.sequences), out);
  for (const [name, labels] of expected.enums) {
    const found = actual.enums.get(name);
    if (found && !isDeepStrictEqual(labels, found))
      out.push(`enum "${name}": values are [${found}], schema declares [${labels}]`);
  }
  const allowed = new Set(Object.keys(allowedExtraIndexes));
  for (const [tableName, table] of expected.tables) {
    const found = actual.tables.get(tableName);
    if (!found) continue;
    const where = `table "${tableName}": `;
    compareKeys('column', where, table.columns, found.columns, out);
    for (const [name, column] of table.columns) {
      const other = found.columns.get(name);
      if (other) compareColumn(`${where}column "${name}"`, column, other, out);
    }
    const foundIndexes = new Map(
      [...found.indexes].filter(([name]) => {
        if (!allowed.has(name)) return true;
        allowed.delete(name);
        if (table.indexes.has(name))
          out.push(`allow-listed index "${name}" is declared in schema.prisma: remove it from the allow-list`);
        return table.indexes.has(name);
      }),
    );
    compareKeys('index', where, table.indexes, foundIndexes, out);
    for (const [name, index] of table.indexes) {
      const other = found.indexes.get(name);
      if (other && !indexMatches(index, other))
        out.push(`${where}index "${name}" is ${describeIndex(other)}, schema declares ${describeIndex(index)}`);
    }
    // A unique constraint is just another spelling of a declared unique index of the same name.
    const foundConstraints = new Map(
      [...found.constraints].filter(([name, c]) => !(c.type === 'u' && table.indexes.get(name)?.unique)),
    );
    compareKeys('constraint', where, table.constraints, foundConstraints, out);
    for (const [name, constraint] of table.constraints) {
      const other = found.constraints.get(name);
      if (other && !isDeepStrictEqual(constraint, other)) {
        out.push(
          `${where}constraint "${name}" is ${JSON.stringify(other)}, schema declares ${JSON.stringify(constraint)}`,
        );
      }
    }
  }
  for (const name of allowed) out.push(`allow-listed index "${name}" does not exist: remove it from the allow-list`);
  return out.sort();
}

function toMap(names: Set<string>): Map<string, true> {
  return new Map([...names].map((n) => [n, true]));
}

function compareKeys(
  what: string,
  where: string,
  expected: Map<string, unknown>,
  actual: Map<string, unknown>,
  out: string[],
): void {
  for (const name of expected.keys())
    if (!actual.has(name))
      out.push(`${where}${what} "${name}" is declared in schema.prisma but missing in the database`);
  for (const name of actual.keys())
    if (!expected.has(name)) out.push(`${where}${what} "${name}" exists in the database but not in schema.prisma`);
}

function compareColumn(where: string, expected: ColumnShape, actual: ColumnShape, out: string[]): void {
  if (expected.type !== actual.type) out.push(`${where} has type ${actual.type}, schema declares ${expected.type}`);
  if (expected.nullable !== actual.nullable) {
    out.push(
      `${where} is ${actual.nullable ? 'nullable' : 'NOT NULL'}, schema declares ${expected.nullable ? 'nullable' : 'NOT NULL'}`,
    );
  }
  if (!defaultMatches(expected.default, actual.default)) {
    out.push(
      `${where} has default ${describeDefault(actual.default)}, schema declares ${describeDefault(expected.default)}`,
    );
  }
}

function defaultMatches(expected: DefaultShape | null, actual: DefaultShape | null): boolean {
  if (expected === null || actual === null) return expected === actual;
  if (expected.kind === 'value') return actual.kind === 'expression' && isDeepStrictEqual(expected.value, actual.value);
  if (expected.kind === 'expression' && actual.kind === 'expression')
    return squash(expected.sql) === squash(actual.sql);
  return isDeepStrictEqual(expected, actual);
}

function squash(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim().toLowerCase();
}

function describeDefault(d: DefaultShape | null): string {
  if (d === null) return 'none';
  if (d.kind === 'now') return 'now()';
  if (d.kind === 'sequence') return `nextval("${d.sequence}")`;
  if (d.kind === 'value') return JSON.stringify(d.value);
  return d.value === undefined ? d.sql : `${d.sql} = ${JSON.stringify(d.value)}`;
}

function indexMatches(expected: IndexShape, actual: IndexShape): boolean {
  if (expected.unique !== actual.unique || expected.method !== actual.method) return false;
  if (normalizePredicate(expected.predicate) !== normalizePredicate(actual.predicate)) return false;
  if (expected.columns.length !== actual.columns.length) return false;
  return expected.columns.every((col, i) => {
    const other = actual.columns[i];
    const opclassOk = col.opclass === undefined ? other.opclassIsDefault === true : col.opclass === other.opclass;
    return col.column === other.column && col.descending === other.descending && opclassOk;
  });
}

/**
 * A partial index's predicate as written in schema.prisma (`status = 'suggested'`) and as PostgreSQL
 * prints it back (`(status = 'suggested'::"FollowUpStatus")`) compare equal: casts, identifier
 * quotes, outer parentheses and spacing are dropped.
 */
export function normalizePredicate(predicate: string | undefined): string | undefined {
  if (predicate === undefined) return undefined;
  let p = predicate
    .replace(/::("[^"]+"|[A-Za-z_]\w*(?: (?:varying|precision|with(?:out)? time zone))?)(\[\])?/g, '')
    .replace(/"/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  while (enclosedInParentheses(p)) p = p.slice(1, -1).trim();
  return p;
}

/** Whether `text` is one parenthesised expression: `(a = 1)`, not `(a) AND (b)`. */
function enclosedInParentheses(text: string): boolean {
  if (!text.startsWith('(') || !text.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0 && i < text.length - 1) return false;
  }
  return true;
}

function describeIndex(index: IndexShape): string {
  const columns = index.columns.map((c) => {
    const opclass = c.opclass && c.opclassIsDefault !== true ? ` ${c.opclass}` : '';
    return `${c.column}${opclass}${c.descending ? ' DESC' : ''}`;
  });
  const where = index.predicate ? ` WHERE ${index.predicate}` : '';
  return `${index.unique ? 'UNIQUE ' : ''}${index.method} (${columns.join(', ')})${where}`;
}
