import type {
  ColumnShape,
  ConstraintShape,
  DatabaseShape,
  DefaultShape,
  IndexColumnShape,
  TableShape,
} from './database-shape.ts';
import {
  findArgument,
  type PrismaAttribute,
  type PrismaExpression,
  type PrismaField,
  type PrismaModel,
  type PrismaSchema,
} from './prisma-schema-parser.ts';

/** PostgreSQL cuts identifiers at 63 bytes; Prisma then shortens its default names in a way this helper does not copy. */
const MAX_IDENTIFIER = 63;

const SCALAR_TYPES: Record<string, [dataType: string, udt: string]> = {
  String: ['text', 'text'],
  Int: ['integer', 'int4'],
  BigInt: ['bigint', 'int8'],
  Float: ['double precision', 'float8'],
  Decimal: ['numeric', 'numeric'],
  Boolean: ['boolean', 'bool'],
  DateTime: ['timestamp without time zone', 'timestamp'],
  Json: ['jsonb', 'jsonb'],
  Bytes: ['bytea', 'bytea'],
};

/** `@db.X` native types -> information_schema data_type and udt_name. Extend when the schema uses a new one. */
const NATIVE_TYPES: Record<string, [dataType: string, udt: string]> = {
  Uuid: ['uuid', 'uuid'],
  Text: ['text', 'text'],
  VarChar: ['character varying', 'varchar'],
  Char: ['character', 'bpchar'],
  SmallInt: ['smallint', 'int2'],
  Integer: ['integer', 'int4'],
  BigInt: ['bigint', 'int8'],
  Real: ['real', 'float4'],
  DoublePrecision: ['double precision', 'float8'],
  Decimal: ['numeric', 'numeric'],
  Boolean: ['boolean', 'bool'],
  Timestamp: ['timestamp without time zone', 'timestamp'],
  Timestamptz: ['timestamp with time zone', 'timestamptz'],
  Date: ['date', 'date'],
  JsonB: ['jsonb', 'jsonb'],
  Json: ['json', 'json'],
  ByteA: ['bytea', 'bytea'],
};

/** Client-side generators: Prisma fills these in, the column has no database default. */
const CLIENT_DEFAULTS = new Set(['uuid', 'cuid', 'nanoid', 'ulid']);

const REFERENTIAL_ACTIONS: Record<string, string> = {
  Cascade: 'c',
  Restrict: 'r',
  NoAction: 'a',
  SetNull: 'n',
  SetDefault: 'd',
};

const INDEX_TYPES: Record<string, string> = {
  BTree: 'btree',
  Hash: 'hash',
  Gist: 'gist',
  Gin: 'gin',
  SpGist: 'spgist',
  Brin: 'brin',
};

/** What `prisma migrate` would create on PostgreSQL for this schema, following Prisma's naming conventions. */
export function expectedDatabaseShape(schema: PrismaSchema): DatabaseShape {
  const enumNames = new Map(schema.enums.map((e) => [e.name, mappedName(e.name, e.attributes)]));
  const models = new Map(schema.models.map((m) => [m.name, m]));
  const shape: DatabaseShape = { tables: new Map(), enums: new Map(), sequences: new Set() };
  for (const e of schema.enums) {
    shape.enums.set(
      enumNames.get(e.name)!,
      e.values.map((v) => mappedName(v.name, v.attributes)),
    );
  }
  for (const model of schema.models) {
    const tableName = mappedName(model.name, model.attributes);
    const table: TableShape = { columns: new Map(), indexes: new Map(), constraints: new Map() };
    const column = (fieldName: string): string => {
      const field = model.fields.find((f) => f.name === fieldName);
      if (!field) throw new Error(`${model.name}: unknown field "${fieldName}"`);
      return columnName(field);
    };
    const addKey = (
      kind: 'pkey' | 'key' | 'idx',
      attr: PrismaAttribute,
      fields: PrismaExpression | undefined,
      method = 'btree',
    ): void => {
      const columns = indexColumns(model, fields, column);
      // Prisma names a primary key after the table only; other keys list their columns.
      const name =
        mapArgument(attr) ??
        (kind === 'pkey'
          ? `${tableName}_pkey`
          : defaultName(
              tableName,
              columns.map((c) => c.column),
              kind,
            ));
      const predicate = wherePredicate(attr);
      table.indexes.set(name, { unique: kind !== 'idx', method, columns, ...(predicate ? { predicate } : {}) });
      if (kind === 'pkey') table.constraints.set(name, { type: 'p', columns: columns.map((c) => c.column) });
    };

    for (const field of model.fields) {
      const related = models.get(field.type);
      if (related) {
        const relation = field.attributes.find((a) => a.name === 'relation');
        const fields = relation && findArgument(relation, 'fields');
        if (!relation || !fields) continue; // the back-relation side has no column
        const columns = names(fields).map(column);
        const optional = names(fields).some((f) => model.fields.find((x) => x.name === f)?.optional);
        const action = (arg: string, fallback: string): string => {
          const value = findArgument(relation, arg);
          const code = value ? REFERENTIAL_ACTIONS[identifier(value)] : fallback;
          if (!code) throw new Error(`${model.name}.${field.name}: unknown ${arg} action`);
          return code;
        };
        const fk: ConstraintShape = {
          type: 'f',
          columns,
          references: {
            table: mappedName(related.name, related.attributes),
            columns: names(findArgument(relation, 'references')!).map((f) =>
              columnName(related.fields.find((x) => x.name === f)!),
            ),
            onDelete: action('onDelete', optional ? 'n' : 'r'),
            onUpdate: action('onUpdate', 'c'),
          },
        };
        table.constraints.set(mapArgument(relation) ?? defaultName(tableName, columns, 'fkey'), fk);
        continue;
      }
      table.columns.set(columnName(field), columnShape(model, field, tableName, enumNames, shape.sequences));
      for (const attr of field.attributes) {
        const self: PrismaExpression = { kind: 'array', items: [{ kind: 'name', name: field.name }] };
        if (attr.name === 'id') addKey('pkey', attr, self);
        if (attr.name === 'unique') addKey('key', attr, self);
      }
    }

    for (const attr of model.attributes) {
      const fields = findArgument(attr, 'fields', 0);
      if (attr.name === 'id') addKey('pkey', attr, fields);
      else if (attr.name === 'unique') addKey('key', attr, fields);
      else if (attr.name === 'index') {
        const type = findArgument(attr, 'type');
        const method = type ? INDEX_TYPES[identifier(type)] : 'btree';
        if (!method) throw new Error(`${model.name}: unknown index type`);
        addKey('idx', attr, fields, method);
      } else if (attr.name !== 'map')
        throw new Error(`${model.name}: @@${attr.name} is not supported by the drift test`);
    }
    shape.tables.set(tableName, table);
  }
  return shape;
}

function columnShape(
  model: PrismaModel,
  field: PrismaField,
  tableName: string,
  enumNames: Map<string, string>,
  sequences: Set<string>,
): ColumnShape {
  const where = `${model.name}.${field.name}`;
  let [dataType, udt] = SCALAR_TYPES[field.type] ?? ['USER-DEFINED', enumNames.get(field.type)];
  if (!udt) throw new Error(`${where}: unknown type ${field.type}`);
  let modifier = '';
  if (field.type === 'DateTime') modifier = '(3)';
  if (field.type === 'Decimal') modifier = '(65,30)';
  for (const attr of field.attributes) {
    if (!attr.name.startsWith('db.')) {
      if (!['id', 'unique', 'default', 'updatedAt', 'map'].includes(attr.name))
        throw new Error(`${where}: @${attr.name} is not supported`);
      continue;
    }
    const native = NATIVE_TYPES[attr.name.slice(3)];
    if (!native) throw new Error(`${where}: @${attr.name} is not supported by the drift test`);
    [dataType, udt] = native;
    const args = attr.args.map((a) => (a.value.kind === 'number' ? a.value.value : NaN));
    if (dataType.startsWith('timestamp')) modifier = `(${args[0] ?? 6})`;
    else if (udt === 'varchar' || udt === 'bpchar')
      modifier = args.length ? `(${args[0]})` : udt === 'bpchar' ? '(1)' : '';
    else if (udt === 'numeric') modifier = args.length ? `(${args.join(',')})` : '';
    else modifier = '';
  }
  const type = field.list ? `ARRAY (_${udt})` : `${dataType}${modifier} (${udt})`;
  // Prisma's PostgreSQL migrations leave scalar lists nullable, whatever the `?`.
  const nullable = field.optional || field.list;
  return { type, nullable, default: defaultShape(where, field, tableName, sequences) };
}

function defaultShape(
  where: string,
  field: PrismaField,
  tableName: string,
  sequences: Set<string>,
): DefaultShape | null {
  const attr = field.attributes.find((a) => a.name === 'default');
  if (!attr) return null;
  const value = findArgument(attr, 'value', 0);
  if (!value) throw new Error(`${where}: @default without a value`);
  if (value.kind === 'name' && value.args) {
    if (value.name === 'now') return { kind: 'now' };
    if (CLIENT_DEFAULTS.has(value.name)) return null;
    if (value.name === 'autoincrement') {
      const sequence = `${tableName}_${columnName(field)}_seq`;
      sequences.add(sequence);
      return { kind: 'sequence', sequence };
    }
    if (value.name === 'dbgenerated' && value.args[0]?.value.kind === 'string')
      return { kind: 'expression', sql: value.args[0].value.value };
    throw new Error(`${where}: @default(${value.name}()) is not supported by the drift test`);
  }
  if (field.type === 'DateTime')
    throw new Error(`${where}: DateTime literal defaults are not supported by the drift test`);
  if (field.type === 'Json' && value.kind === 'string') return { kind: 'value', value: JSON.parse(value.value) };
  return { kind: 'value', value: literal(value) };
}

function literal(value: PrismaExpression): unknown {
  if (value.kind === 'array') return value.items.map(literal);
  if (value.kind === 'name') return value.name === 'true' ? true : value.name === 'false' ? false : value.name; // enum value
  return value.value;
}

function indexColumns(
  model: PrismaModel,
  fields: PrismaExpression | undefined,
  column: (f: string) => string,
): IndexColumnShape[] {
  if (fields?.kind !== 'array') throw new Error(`${model.name}: index without a field list`);
  return fields.items.map((item) => {
    if (item.kind !== 'name') throw new Error(`${model.name}: unexpected index field`);
    const sort = item.args?.find((a) => a.name === 'sort');
    const ops = item.args?.find((a) => a.name === 'ops');
    const unknown = item.args?.find((a) => a.name !== 'sort' && a.name !== 'ops');
    if (unknown)
      throw new Error(`${model.name}: index field argument "${unknown.name}" is not supported by the drift test`);
    return {
      column: column(item.name),
      descending: sort ? identifier(sort.value) === 'Desc' : false,
      opclass: ops && operatorClass(ops.value),
    };
  });
}

/** `raw("gin_trgm_ops")` -> gin_trgm_ops; Prisma's named classes such as `JsonbPathOps` -> jsonb_path_ops. */
function operatorClass(ops: PrismaExpression): string {
  if (ops.kind === 'name' && ops.name === 'raw' && ops.args?.[0]?.value.kind === 'string')
    return ops.args[0].value.value;
  return identifier(ops)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace('min_max', 'minmax');
}

function defaultName(table: string, columns: string[], suffix: string): string {
  const name = `${table}_${columns.join('_')}_${suffix}`;
  if (name.length > MAX_IDENTIFIER)
    throw new Error(`${name} is longer than ${MAX_IDENTIFIER} characters: give it an explicit map`);
  return name;
}

/** The SQL of a partial index's `where: raw("...")` (preview feature partialIndexes). */
function wherePredicate(attr: PrismaAttribute): string | undefined {
  const where = findArgument(attr, 'where');
  if (!where) return undefined;
  const sql = where.kind === 'name' && where.name === 'raw' ? where.args?.[0]?.value : undefined;
  if (sql?.kind !== 'string') throw new Error(`@@${attr.name}: only where: raw("...") is supported by the drift test`);
  return sql.value;
}

function mapArgument(attr: PrismaAttribute): string | undefined {
  const map = findArgument(attr, 'map');
  return map?.kind === 'string' ? map.value : undefined;
}

function mappedName(name: string, attributes: PrismaAttribute[]): string {
  const map = attributes.find((a) => a.name === 'map');
  const value = map && findArgument(map, 'name', 0);
  return value?.kind === 'string' ? value.value : name;
}

function columnName(field: PrismaField): string {
  return mappedName(field.name, field.attributes);
}

function identifier(value: PrismaExpression): string {
  if (value.kind !== 'name') throw new Error(`expected a name, found ${JSON.stringify(value)}`);
  return value.name;
}

function names(list: PrismaExpression): string[] {
  if (list.kind !== 'array') throw new Error(`expected a field list, found ${JSON.stringify(list)}`);
  return list.items.map(identifier);
}
