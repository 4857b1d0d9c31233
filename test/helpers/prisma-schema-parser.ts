/**
 * A small parser for the parts of the Prisma schema language that decide the database shape:
 * models, enums, fields (type, `?`, `[]`) and their attributes, and block attributes (`@@index`, ...).
 * `generator` and `datasource` blocks are skipped. Anything else (views, composite types) is rejected
 * with an error rather than silently ignored, so the drift test never passes on a schema it did not read.
 */

/** An attribute argument value: `"text"`, `42`, `[a, b]`, `Cascade`, `now()`, `raw("gin_trgm_ops")`, `name(sort: Desc)`. */
export type PrismaExpression =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'array'; items: PrismaExpression[] }
  /** An identifier, with `args` when written as a call. */
  | { kind: 'name'; name: string; args?: PrismaArgument[] };

export interface PrismaArgument {
  /** `map` in `map: "x"`; undefined for positional arguments. */
  name?: string;
  value: PrismaExpression;
}

export interface PrismaAttribute {
  /** Without the `@`/`@@`: `id`, `default`, `db.Timestamptz`, `index`. */
  name: string;
  args: PrismaArgument[];
}

export interface PrismaField {
  name: string;
  type: string;
  optional: boolean;
  list: boolean;
  attributes: PrismaAttribute[];
}

export interface PrismaModel {
  name: string;
  fields: PrismaField[];
  attributes: PrismaAttribute[];
}

export interface PrismaEnum {
  name: string;
  values: Array<{ name: string; attributes: PrismaAttribute[] }>;
  attributes: PrismaAttribute[];
}

export interface PrismaSchema {
  models: PrismaModel[];
  enums: PrismaEnum[];
}

type Token = { kind: 'string' | 'number' | 'name' | 'punct' | 'newline'; text: string; line: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let depth = 0; // inside (...) or [...] a newline does not end the declaration
  for (let i = 0; i < source.length; ) {
    const c = source[i];
    if (c === '\n') {
      if (depth === 0) tokens.push({ kind: 'newline', text: '\n', line });
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '"') {
      let value = '';
      for (i++; source[i] !== '"'; i++) {
        if (i >= source.length || source[i] === '\n') throw new Error(`schema.prisma:${line}: unterminated string`);
        if (source[i] === '\\') i++;
        value += source[i];
      }
      i++;
      tokens.push({ kind: 'string', text: value, line });
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(source.slice(i));
      if (!m) throw new Error(`schema.prisma:${line}: unexpected "${c}"`);
      tokens.push({ kind: 'number', text: m[0], line });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(source.slice(i))!;
      tokens.push({ kind: 'name', text: m[0], line });
      i += m[0].length;
    } else if (source.startsWith('@@', i)) {
      tokens.push({ kind: 'punct', text: '@@', line });
      i += 2;
    } else if ('@()[]{},:?='.includes(c)) {
      if (c === '(' || c === '[') depth++;
      if (c === ')' || c === ']') depth--;
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else {
      throw new Error(`schema.prisma:${line}: unexpected "${c}"`);
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new Error('schema.prisma: unexpected end of file');
    return t;
  }

  private accept(text: string): boolean {
    if (this.peek()?.text === text && this.peek()?.kind !== 'string') {
      this.pos++;
      return true;
    }
    return false;
  }

  private expect(text: string): void {
    const t = this.next();
    if (t.text !== text || t.kind === 'string')
      throw new Error(`schema.prisma:${t.line}: expected "${text}", found "${t.text}"`);
  }

  private name(): string {
    const t = this.next();
    if (t.kind !== 'name') throw new Error(`schema.prisma:${t.line}: expected a name, found "${t.text}"`);
    return t.text;
  }

  private skipNewlines(): void {
    while (this.peek()?.kind === 'newline') this.pos++;
  }

  parseSchema(): PrismaSchema {
    const schema: PrismaSchema = { models: [], enums: [] };
    for (this.skipNewlines(); this.peek(); this.skipNewlines()) {
      const keywordToken = this.next();
      const keyword = keywordToken.text;
      const name = this.name();
      this.expect('{');
      if (keyword === 'model') schema.models.push(this.parseModel(name));
      else if (keyword === 'enum') schema.enums.push(this.parseEnum(name));
      else if (keyword === 'generator' || keyword === 'datasource') this.skipBlock();
      else throw new Error(`schema.prisma:${keywordToken.line}: "${keyword}" blocks are not supported by this parser`);
    }
    return schema;
  }

  private skipBlock(): void {
    while (this.next().text !== '}');
  }

  private parseModel(name: string): PrismaModel {
    const model: PrismaModel = { name, fields: [], attributes: [] };
    for (this.skipNewlines(); !this.accept('}'); this.skipNewlines()) {
      if (this.accept('@@')) {
        model.attributes.push(this.parseAttributeBody());
        continue;
      }
      const field: PrismaField = { name: this.name(), type: this.name(), optional: false, list: false, attributes: [] };
      if (this.accept('[')) {
        this.expect(']');
        field.list = true;
      }
      field.optional = this.accept('?');
      while (this.accept('@')) field.attributes.push(this.parseAttributeBody());
      model.fields.push(field);
    }
    return model;
  }

  private parseEnum(name: string): PrismaEnum {
    const result: PrismaEnum = { name, values: [], attributes: [] };
    for (this.skipNewlines(); !this.accept('}'); this.skipNewlines()) {
      if (this.accept('@@')) {
        result.attributes.push(this.parseAttributeBody());
        continue;
      }
      const value = { name: this.name(), attributes: [] as PrismaAttribute[] };
      while (this.accept('@')) value.attributes.push(this.parseAttributeBody());
      result.values.push(value);
    }
    return result;
  }

  private parseAttributeBody(): PrismaAttribute {
    const name = this.name();
    return { name, args: this.accept('(') ? this.parseArguments() : [] };
  }

  /** After the opening parenthesis, up to and including the closing one. */
  private parseArguments(): PrismaArgument[] {
    const args: PrismaArgument[] = [];
    while (!this.accept(')')) {
      const t = this.peek();
      const named = t?.kind === 'name' && this.tokens[this.pos + 1]?.text === ':';
      const argName = named ? this.name() : undefined;
      if (named) this.expect(':');
      args.push({ name: argName, value: this.parseExpression() });
      if (!this.accept(',')) {
        this.expect(')');
        break;
      }
    }
    return args;
  }

  private parseExpression(): PrismaExpression {
    const t = this.next();
    if (t.kind === 'string') return { kind: 'string', value: t.text };
    if (t.kind === 'number') return { kind: 'number', value: Number(t.text) };
    if (t.kind === 'name')
      return this.accept('(')
        ? { kind: 'name', name: t.text, args: this.parseArguments() }
        : { kind: 'name', name: t.text };
    if (t.text === '[') {
      const items: PrismaExpression[] = [];
      while (!this.accept(']')) {
        items.push(this.parseExpression());
        if (!this.accept(',')) {
          this.expect(']');
          break;
        }
      }
      return { kind: 'array', items };
    }
    throw new Error(`schema.prisma:${t.line}: unexpected "${t.text}"`);
  }
}

/** Parses schema.prisma text. Throws with a line number on syntax it does not understand. */
export function parsePrismaSchema(source: string): PrismaSchema {
  return new Parser(tokenize(source)).parseSchema();
}

/** The argument called `name`, or the positional argument at `position` when there is no named one. */
export function findArgument(
  attribute: PrismaAttribute,
  name: string,
  position?: number,
): PrismaExpression | undefined {
  const named = attribute.args.find((a) => a.name === name);
  if (named) return named.value;
  if (position === undefined) return undefined;
  return attribute.args.filter((a) => a.name === undefined)[position]?.value;
}
