import { readFileSync } from 'node:fs';
import { runLanguagesBench } from '../bench/classifier-languages.bench.ts';
const clinc = JSON.parse(readFileSync('/work/shared/data/clinc150/data_full.json', 'utf8'));
runLanguagesBench(3, clinc.test.map(([t]: [string]) => t), false);
