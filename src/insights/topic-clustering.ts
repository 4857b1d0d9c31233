import { kmeans } from 'ml-kmeans';
import { DEFAULT_FEATURIZER_CONFIG, Featurizer, type FeaturizerConfig } from '../classifier/featurizer.ts';
import type { SparseVector } from '../classifier/sparse-vector.ts';
import { TOPIC_STOP_WORDS } from './topic-stop-words.ts';

/** A message to cluster: its id (for examples) and text. */
export interface TopicMessage {
  id: string;
  text: string;
}

/** A topic found in a period: what it is about, how many messages, and how that compares with before. */
export interface ClusteredTopic {
  /** Its top terms joined: "export / csv / timeout". */
  name: string;
  /** The terms with the highest weight in the cluster's centre, most weight first. */
  terms: string[];
  /** Messages of the (sampled) period in this topic. */
  messages: number;
  /** Share of the period's clustered messages, 0..1. */
  share: number;
  /** Messages of the previous period closest to this topic's centre, and their share. */
  previousMessages: number;
  previousShare: number;
  /** Share now minus share before, in percentage points. */
  trendPoints: number;
  /** New or fast-growing: see {@link isEmerging} (never when the previous period had no messages). */
  emerging: boolean;
  /** Ids of the messages nearest the centre (at most 3), then every member id. */
  exampleIds: string[];
  memberIds: string[];
}

/** Clustering settings. */
export interface TopicClusteringOptions {
  /** k-means++ seed: the same messages and seed always give the same topics. Default 17. */
  seed?: number;
  /** Most topics per call. Default 10. */
  maxTopics?: number;
  /** Columns kept: the period's most frequent content terms. Default 300. */
  dimensions?: number;
}

/**
 * The featurizer as the classifier uses it, tuned for reading topics: whole words (a topic named
 * "invoic" reads badly), stop words dropped, no negation marks, terms seen in at least 2 messages.
 */
const TOPIC_FEATURIZER: FeaturizerConfig = {
  ...DEFAULT_FEATURIZER_CONFIG,
  termForm: 'normal',
  negation: false,
  cjkCharNgrams: null,
  stopWords: true,
  minDocumentFrequency: 2,
  maxFeatures: 20_000,
};

/**
 * A term is worth naming a topic by when each of its words (one or two) is not a stop word, a number,
 * a placeholder (`<number>`, `<url>`), a negation mark or a character n-gram. Checking the first word
 * alone let "ship <number>" and "again <number>" name topics (review, "order 4711 ships when").
 */
export function isContentTerm(term: string): boolean {
  return term
    .split(' ')
    .every(
      (w) =>
        w.length > 1 &&
        !w.startsWith('not_') &&
        !w.startsWith('<') &&
        !w.startsWith('#') &&
        !TOPIC_STOP_WORDS.has(w) &&
        !/^[\d\p{P}]+$/u.test(w),
    );
}

/**
 * A topic is emerging when it has at least 3 messages and its share of the period at least doubled
 * against the previous period, rising by at least 5 percentage points (topics new this period
 * included). With no messages at all in the previous period nothing is emerging: there is nothing to
 * have grown from, and every topic was flagged (review: a first week's post marked all of them new).
 */
export function isEmerging(
  messages: number,
  share: number,
  previousShare: number,
  previousPeriodMessages: number,
): boolean {
  if (previousPeriodMessages === 0) return false;
  return messages >= 3 && share >= 2 * previousShare && share - previousShare >= 0.05;
}

function byTextThenId(a: TopicMessage, b: TopicMessage): number {
  return a.text < b.text ? -1 : a.text > b.text ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Clusters a period's messages into topics with k-means (ml-kmeans, k-means++ seeded) on the
 * classifier featurizer's TF-IDF vectors, projected onto the period's most frequent content terms
 * and L2-normalised again (so squared distance ranks like cosine). k = ceil(sqrt(n / 2)), 2..maxTopics.
 * Each topic is named by the top terms of its centre. The previous period's messages are assigned to
 * the nearest centre (when they share any term with it) to give the trend.
 */
export function clusterTopics(
  current: readonly TopicMessage[],
  previous: readonly TopicMessage[],
  options: TopicClusteringOptions = {},
): ClusteredTopic[] {
  // Read in an order of their own (text, then id), not the database's: k-means++ picks its starting
  // centres by position, so rows arriving in another order (new ids, another plan) gave other topics.
  current = [...current].sort(byTextThenId);
  previous = [...previous].sort(byTextThenId);
  const seed = options.seed ?? 17;
  const maxTopics = options.maxTopics ?? 10;
  const dimensions = options.dimensions ?? 300;
  if (current.length < 3) return [];
  let fitted: ReturnType<typeof Featurizer.fit>;
  try {
    fitted = Featurizer.fit(
      current.map((m) => m.text),
      TOPIC_FEATURIZER,
    );
  } catch {
    return [];
  }
  const { featurizer, vectors } = fitted;
  const state = featurizer.toState();
  // The most frequent content terms (lowest IDF), then a stable order by name.
  const columns = state.vocabulary
    .map((term, index) => ({ term, index, idf: state.idf[index] }))
    .filter((c) => isContentTerm(c.term))
    .sort((a, b) => a.idf - b.idf || (a.term < b.term ? -1 : 1))
    .slice(0, dimensions);
  if (columns.length === 0) return [];
  const columnOf = new Map(columns.map((c, k) => [c.index, k]));
  const project = (v: SparseVector): number[] | undefined => {
    const row = new Array<number>(columns.length).fill(0);
    let norm = 0;
    for (let k = 0; k < v.indices.length; k++) {
      const c = columnOf.get(v.indices[k]);
      if (c === undefined) continue;
      row[c] = v.values[k];
      norm += v.values[k] ** 2;
    }
    if (norm === 0) return undefined;
    const scale = 1 / Math.sqrt(norm);
    return row.map((x) => x * scale);
  };
  const rows: number[][] = [];
  const rowIds: string[] = [];
  vectors.forEach((v, i) => {
    const row = project(v);
    if (row) {
      rows.push(row);
      rowIds.push(current[i].id);
    }
  });
  const distinct = new Set(rows.map((r) => r.join(','))).size;
  const k = Math.min(maxTopics, distinct, Math.max(2, Math.ceil(Math.sqrt(rows.length / 2))));
  if (rows.length < 3 || k < 1) return [];
  // Several k-means++ starts (seed, seed+1, ...), keeping the tightest, as scikit-learn's n_init does:
  // one start alone split a planted topic in two about as often as not.
  let result = kmeans(rows, k, { seed, initialization: 'kmeans++', maxIterations: 60 });
  let best = inertia(rows, result.clusters, result.centroids);
  for (let s = 1; s < RESTARTS; s++) {
    const other = kmeans(rows, k, { seed: seed + s, initialization: 'kmeans++', maxIterations: 60 });
    const e = inertia(rows, other.clusters, other.centroids);
    if (e < best - 1e-9) {
      best = e;
      result = other;
    }
  }

  const previousRows = previous
    .map((m) => project(featurizer.transform(m.text)))
    .filter((r): r is number[] => r !== undefined);
  const previousCounts = new Array<number>(k).fill(0);
  for (const r of previousRows) {
    const c = nearest(result.centroids, r);
    if (c >= 0) previousCounts[c]++;
  }

  const topics: ClusteredTopic[] = [];
  for (let c = 0; c < k; c++) {
    const members = rows.map((_, i) => i).filter((i) => result.clusters[i] === c);
    if (members.length === 0) continue;
    const centre = result.centroids[c];
    const terms = topTerms(
      centre,
      columns.map((col) => col.term),
      3,
    );
    const byCloseness = [...members].sort((a, b) => dot(rows[b], centre) - dot(rows[a], centre) || a - b);
    const share = members.length / rows.length;
    const previousShare = previousRows.length === 0 ? 0 : previousCounts[c] / previousRows.length;
    topics.push({
      name: terms.join(' / '),
      terms,
      messages: members.length,
      share,
      previousMessages: previousCounts[c],
      previousShare,
      trendPoints: Math.round((share - previousShare) * 1000) / 10,
      emerging: isEmerging(members.length, share, previousShare, previous.length),
      exampleIds: byCloseness.slice(0, 3).map((i) => rowIds[i]),
      memberIds: members.map((i) => rowIds[i]),
    });
  }
  return topics.sort((a, b) => b.messages - a.messages || (a.name < b.name ? -1 : 1));
}

/** k-means++ starts per clustering. */
const RESTARTS = 5;

/** Sum of squared distances of rows to their centre (what k-means minimises). */
function inertia(rows: readonly number[][], clusters: readonly number[], centroids: readonly number[][]): number {
  let total = 0;
  rows.forEach((r, i) => {
    const c = centroids[clusters[i]];
    for (let j = 0; j < r.length; j++) total += (r[j] - c[j]) ** 2;
  });
  return total;
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The centre most like `row`, or -1 when it shares no term with any. */
function nearest(centroids: readonly number[][], row: readonly number[]): number {
  let best = -1;
  let bestScore = 0;
  centroids.forEach((c, i) => {
    const s = dot(c, row);
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  });
  return best;
}

/** The heaviest terms of a centre, skipping a word already said by a chosen two-word term and vice versa. */
function topTerms(centre: readonly number[], names: readonly string[], count: number): string[] {
  const order = centre.map((w, i) => [w, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const chosen: string[] = [];
  for (const [w, i] of order) {
    if (w <= 0 || chosen.length >= count) break;
    const words = names[i].split(' ');
    const said = new Set(chosen.flatMap((t) => t.split(' ')));
    if (words.every((x) => said.has(x))) continue;
    // A bigram whose words were said one by one replaces them.
    if (words.length > 1 && words.some((x) => said.has(x))) {
      for (let j = chosen.length - 1; j >= 0; j--) if (words.includes(chosen[j])) chosen.splice(j, 1);
    }
    chosen.push(names[i]);
  }
  return chosen;
}
