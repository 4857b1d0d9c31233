import { describe, expect, it } from 'vitest';
import { assertKnownLabels, parseCsv, parseDataset } from '../../../src/classifier/dataset-reader.ts';
import { trainModel } from '../../../src/classifier/train.ts';

describe('dataset reader', () => {
  it('reads CSV with quoted fields, doubled quotes, commas and newlines inside quotes', () => {
    const csv = 'id,message,intent\r\n1,"Hello, ""team""\nplease call",scheduling\n2,plain text,other\n';
    expect(parseDataset(csv, 'x.csv', { textColumn: 'message', labelColumn: 'intent' })).toEqual([
      { text: 'Hello, "team"\nplease call', label: 'scheduling' },
      { text: 'plain text', label: 'other' },
    ]);
    expect(parseCsv('a,b\n"1",""\n')).toEqual([
      ['a', 'b'],
      ['1', ''],
    ]);
  });

  it('reads JSONL with custom keys', () => {
    expect(
      parseDataset('{"body":"hi","tag":"other"}\n\n{"body":"bye","tag":"other"}\n', 'x.jsonl', {
        textColumn: 'body',
        labelColumn: 'tag',
      }),
    ).toHaveLength(2);
  });

  it('names a missing column and the flag that fixes it', () => {
    expect(() => parseDataset('message,label\nhi,other\n', 'x.csv')).toThrow(
      /no "text" column \(found: message, label\).*--text-column/,
    );
    expect(() => parseDataset('{"text":"hi"}\n', 'x.jsonl')).toThrow(/no string "label" field.*--label-column/);
  });

  it('refuses an empty file, a header-only file and a malformed JSONL line', () => {
    expect(() => parseDataset('', 'x.csv')).toThrow(/empty/);
    expect(() => parseDataset('text,label\n', 'x.csv')).toThrow(/no examples/);
    expect(() => parseDataset('{"text": oops}\n', 'x.jsonl')).toThrow(/line 1 is not valid JSON/);
    expect(() => parseDataset('text,label\n"unterminated,other\n', 'x.csv')).toThrow(/unclosed double quote/);
  });

  it('refuses to train on one label only', () => {
    expect(() =>
      trainModel([
        { text: 'a', label: 'x' },
        { text: 'b', label: 'x' },
      ]),
    ).toThrow(/only one label \("x"\)/);
  });

  it('names labels the model was not trained on', () => {
    expect(() => assertKnownLabels([{ text: 'a', label: 'refund' }], ['need', 'other'])).toThrow(
      /not trained on: refund\. The model knows: need, other/,
    );
    expect(() => assertKnownLabels([{ text: 'a', label: 'need' }], ['need', 'other'])).not.toThrow();
  });
});
