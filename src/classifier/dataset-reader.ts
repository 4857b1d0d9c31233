import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { RapportError } from '../errors.ts';
import { parseCsvRows } from '../domain/csv.ts';
import type { LabeledExample } from './labeled-example.ts';

/** Where the text and label live in a CSV header or JSONL object. */
export interface DatasetColumns {
  /** Column / key holding the message. Default `text`. */
  readonly textColumn?: string;
  /** Column / key holding the label. Default `label`. */
  readonly labelColumn?: string;
  /**
   * Column / key naming each example's group (see {@link LabeledExample.group}); optional. Default
   * `group`, read when present.
   */
  readonly groupColumn?: string;
  /** Optional column / key holding the message's language (`zh`, `en`, ...). Default `language`; absent is fine. */
  readonly languageColumn?: string;
}

/** A language cell: trimmed, lowercase; empty = not given. */
const languageOf = (value: unknown): { language?: string } =>
  typeof value === 'string' && value.trim() !== '' ? { language: value.trim().toLowerCase() } : {};

/**
 * Splits CSV into rows with the one CSV reader (`src/domain/csv.ts`: RFC 4180, a byte-order mark
 * dropped, `;` when the header says so), without blank lines; an unclosed quote is a clear error.
 */
export function parseCsv(content: string): string[][] {
  let rows: string[][];
  try {
    rows = parseCsvRows(content);
  } catch (err) {
    throw new RapportError('invalid_input', (err as Error).message);
  }
  return rows.filter((r) => !(r.length === 1 && r[0].trim() === ''));
}

function fromCsv(
  content: string,
  name: string,
  textColumn: string,
  labelColumn: string,
  groupColumn: string,
  languageColumn: string,
): LabeledExample[] {
  const [header, ...rows] = parseCsv(content);
  if (!header)
    throw new RapportError('invalid_input', `${name} is empty; it needs a header row and at least one example.`);
  const names = header.map((h) => h.trim());
  const textAt = names.indexOf(textColumn);
  const labelAt = names.indexOf(labelColumn);
  for (const [column, at, flag] of [
    [textColumn, textAt, '--text-column'],
    [labelColumn, labelAt, '--label-column'],
  ] as const) {
    if (at < 0)
      throw new RapportError(
        'invalid_input',
        `${name} has no "${column}" column (found: ${names.join(', ')}); name the right one with ${flag}.`,
      );
  }
  const groupAt = names.indexOf(groupColumn);
  const languageAt = names.indexOf(languageColumn);
  return rows.map((r) => {
    const group = groupAt >= 0 ? (r[groupAt] ?? '').trim() : '';
    return {
      text: r[textAt] ?? '',
      label: (r[labelAt] ?? '').trim(),
      ...(group ? { group } : {}),
      ...(languageAt >= 0 ? languageOf(r[languageAt]) : {}),
    };
  });
}

function fromJsonl(
  content: string,
  name: string,
  textColumn: string,
  labelColumn: string,
  groupColumn: string,
  languageColumn: string,
): LabeledExample[] {
  const examples: LabeledExample[] = [];
  content.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new RapportError(
        'invalid_input',
        `${name} line ${i + 1} is not valid JSON; each line must be an object like {"text": "...", "label": "..."}.`,
      );
    }
    for (const [key, flag] of [
      [textColumn, '--text-column'],
      [labelColumn, '--label-column'],
    ] as const) {
      if (typeof value[key] !== 'string')
        throw new RapportError(
          'invalid_input',
          `${name} line ${i + 1} has no string "${key}" field; name the right one with ${flag}.`,
        );
    }
    const group = value[groupColumn];
    examples.push({
      text: value[textColumn] as string,
      label: (value[labelColumn] as string).trim(),
      ...(typeof group === 'string' && group.trim() !== '' ? { group: group.trim() } : {}),
      ...(typeof value.churnRisk === 'boolean' ? { churnRisk: value.churnRisk } : {}),
      ...languageOf(value[languageColumn]),
    });
  });
  return examples;
}

/**
 * Parses labelled examples from CSV (with header) or JSONL text. Rows with an empty text or label
 * are an error rather than silently skipped, so a wrong column choice is noticed.
 *
 * @param format - `csv` or `jsonl`; default: `jsonl` when `name` ends in .jsonl/.ndjson/.json, else `csv`.
 */
export function parseDataset(
  content: string,
  name: string,
  columns: DatasetColumns = {},
  format?: 'csv' | 'jsonl',
): LabeledExample[] {
  const textColumn = columns.textColumn ?? 'text';
  const labelColumn = columns.labelColumn ?? 'label';
  const groupColumn = columns.groupColumn ?? 'group';
  const languageColumn = columns.languageColumn ?? 'language';
  const kind = format ?? (['.jsonl', '.ndjson', '.json'].includes(extname(name).toLowerCase()) ? 'jsonl' : 'csv');
  const examples =
    kind === 'jsonl'
      ? fromJsonl(content, name, textColumn, labelColumn, groupColumn, languageColumn)
      : fromCsv(content, name, textColumn, labelColumn, groupColumn, languageColumn);
  if (examples.length === 0)
    throw new RapportError('invalid_input', `${name} has no examples; add rows with a text and a label.`);
  const blank = examples.findIndex((e) => e.text.trim() === '' || e.label === '');
  if (blank >= 0)
    throw new RapportError(
      'invalid_input',
      `${name} example ${blank + 1} has an empty text or label; fill it in or remove the row.`,
    );
  return examples;
}

/** Reads a CSV or JSONL dataset file; see {@link parseDataset}. */
export function readDataset(path: string, columns: DatasetColumns = {}): LabeledExample[] {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch {
    throw new RapportError('invalid_input', `Cannot read ${path}; check the path passed to --data.`);
  }
  return parseDataset(content, path, columns);
}

/** Fails when `examples` use labels the model was not trained on (evaluation would be meaningless). */
export function assertKnownLabels(examples: readonly LabeledExample[], modelLabels: readonly string[]): void {
  const known = new Set(modelLabels);
  const unseen = [...new Set(examples.map((e) => e.label).filter((l) => !known.has(l)))];
  if (unseen.length > 0) {
    throw new RapportError(
      'invalid_input',
      `The data uses label${unseen.length > 1 ? 's' : ''} the model was not trained on: ${unseen.join(', ')}. The model knows: ${modelLabels.join(', ')}. Retrain with these labels or fix the data.`,
    );
  }
}
