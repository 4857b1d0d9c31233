import { evaluatePredictions, type EvaluationReport } from './evaluate.ts';
import { detectLanguage } from './language-detector.ts';
import type { LabeledExample } from './labeled-example.ts';

/** Scores per language: the report for each language's examples, and where the languages came from. */
export interface LanguageBreakdown {
  /** `column` when every example had a language in the data, `detected` when none did, `mixed` otherwise. */
  readonly source: 'column' | 'detected' | 'mixed';
  readonly byLanguage: Record<string, EvaluationReport>;
}

/**
 * Accuracy and macro-F1 per language, from the data's language column or, where an example has none,
 * from {@link detectLanguage} (`und` collects texts too short to tell). Languages sorted by size.
 */
export function evaluateByLanguage(
  examples: readonly LabeledExample[],
  predicted: readonly string[],
): LanguageBreakdown {
  const groups = new Map<string, { gold: string[]; predicted: string[] }>();
  let given = 0;
  examples.forEach((e, i) => {
    if (e.language) given++;
    const language = e.language ?? detectLanguage(e.text);
    let group = groups.get(language);
    if (!group) {
      group = { gold: [], predicted: [] };
      groups.set(language, group);
    }
    group.gold.push(e.label);
    group.predicted.push(predicted[i]);
  });
  const byLanguage: Record<string, EvaluationReport> = {};
  for (const [language, g] of [...groups].sort((a, b) => b[1].gold.length - a[1].gold.length)) {
    byLanguage[language] = evaluatePredictions(g.gold, g.predicted);
  }
  return {
    source: given === examples.length ? 'column' : given === 0 ? 'detected' : 'mixed',
    byLanguage,
  };
}
