// Statistical canary judgement: a canary's metric samples against its baseline's, taken over
// the same periods, each compared with a one-sided Mann-Whitney U test (is the canary's
// distribution shifted upwards?). As in Kayenta's classifier, a metric fails only when the shift
// is both significant (p below alpha) and larger than the tolerated effect; the score is the
// share of metrics that pass, and a verdict compares it with pass and marginal thresholds.
// Pure: no AWS, no clock.

export interface MannWhitney {
  /** U of the canary sample (pairs in which the canary's value is larger, ties counting one half). */
  u: number;
  /** One-sided p-value for "the canary's values are larger". */
  p: number;
  /** Exact (small samples without ties) or the normal approximation with tie and continuity correction. */
  method: 'exact' | 'normal';
}

/** Ranks 1..n, ties given their average rank; also the tie groups' sizes. */
function ranks(values: number[]): { rank: number[]; ties: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const rank = new Array<number>(values.length);
  const ties: number[] = [];
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const r = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) rank[order[k][1]] = r;
    if (j > i) ties.push(j - i + 1);
    i = j + 1;
  }
  return { rank, ties };
}

/** How many arrangements of m canary and n baseline values give each U (U = 0..mn), by recurrence. */
function exactCounts(m: number, n: number): number[] {
  // f[i][j][u]: arrangements of i canary and j baseline values with U = u.
  let prev: number[][] = [];
  for (let j = 0; j <= n; j++) prev[j] = [1];
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      const out = new Array<number>(i * j + 1).fill(0);
      // The largest value is the canary's (it beats all j baseline values) or the baseline's.
      const a = prev[j];
      for (let u = 0; u < a.length; u++) out[u + j] += a[u];
      const b = cur[j - 1];
      for (let u = 0; u < b.length; u++) out[u] += b[u];
      cur[j] = out;
    }
    prev = cur;
  }
  return prev[n];
}

/** Standard normal upper tail, P(Z > z) (Abramowitz and Stegun 7.1.26 on erfc, error below 1.5e-7). */
export function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** One-sided Mann-Whitney U test: are the canary's values stochastically larger than the baseline's? */
export function mannWhitney(canary: number[], baseline: number[]): MannWhitney {
  const m = canary.length;
  const n = baseline.length;
  if (!m || !n) throw new Error('mannWhitney needs at least one value on each side');
  const { rank, ties } = ranks([...canary, ...baseline]);
  const r1 = rank.slice(0, m).reduce((s, r) => s + r, 0);
  const u = r1 - (m * (m + 1)) / 2;
  if (!ties.length && m <= 25 && n <= 25) {
    const counts = exactCounts(m, n);
    const total = counts.reduce((s, c) => s + c, 0);
    let tail = 0;
    for (let k = Math.ceil(u); k < counts.length; k++) tail += counts[k];
    return { u, p: tail / total, method: 'exact' };
  }
  const N = m + n;
  const tieTerm = ties.reduce((s, t) => s + (t ** 3 - t), 0);
  const variance = ((m * n) / 12) * (N + 1 - tieTerm / (N * (N - 1)));
  if (variance <= 0) return { u, p: 1, method: 'normal' };
  const z = (u - (m * n) / 2 - 0.5) / Math.sqrt(variance);
  return { u, p: normalUpperTail(z), method: 'normal' };
}

/** Hodges-Lehmann estimate of the shift: the median of every canary − baseline difference. */
export function hodgesLehmann(canary: number[], baseline: number[]): number {
  const d: number[] = [];
  for (const c of canary) for (const b of baseline) d.push(c - b);
  d.sort((a, b) => a - b);
  const mid = d.length >> 1;
  return d.length % 2 ? d[mid] : (d[mid - 1] + d[mid]) / 2;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export interface MetricSamples {
  /** errors (5xx per request, in percent) or latency (target response time, in milliseconds). */
  name: 'errors' | 'latency';
  canary: number[];
  baseline: number[];
  /** The largest upward shift tolerated (percentage points for errors, milliseconds for latency). */
  tolerance: number;
}

export interface MetricVerdict {
  name: MetricSamples['name'];
  result: 'pass' | 'high';
  p: number;
  /** Hodges-Lehmann shift, canary − baseline, in the metric's unit. */
  shift: number;
  canaryMean: number;
  baselineMean: number;
  samples: [number, number];
}

export interface Judgement {
  verdict: 'pass' | 'marginal' | 'fail';
  /** Percent of metrics that pass. */
  score: number;
  metrics: MetricVerdict[];
}

export interface JudgeOptions {
  alpha: number;
  passScore: number;
  marginalScore: number;
}

/** Judge every metric, then the canary: pass, marginal (between the thresholds) or fail. */
export function judge(metrics: MetricSamples[], o: JudgeOptions): Judgement {
  const verdicts = metrics.map((s): MetricVerdict => {
    const t = mannWhitney(s.canary, s.baseline);
    const shift = hodgesLehmann(s.canary, s.baseline);
    return {
      name: s.name,
      result: t.p < o.alpha && shift > s.tolerance ? 'high' : 'pass',
      p: t.p,
      shift,
      canaryMean: mean(s.canary),
      baselineMean: mean(s.baseline),
      samples: [s.canary.length, s.baseline.length],
    };
  });
  const score = verdicts.length ? (100 * verdicts.filter((v) => v.result === 'pass').length) / verdicts.length : 100;
  const verdict = score >= o.passScore ? 'pass' : score >= o.marginalScore ? 'marginal' : 'fail';
  return { verdict, score, metrics: verdicts };
}

const UNIT = { errors: ' points', latency: ' ms' } as const;
const round = (x: number, d = 3) => Number(x.toPrecision(d));

/** One line per metric, for a reason or a history record: "errors high (p=0.0002, +2.1 points; canary 2.6 vs 0.5)". */
export function describeJudgement(j: Judgement): string {
  const parts = j.metrics.map(
    (m) => `${m.name} ${m.result} (p=${round(m.p, 2)}, shift ${m.shift >= 0 ? '+' : ''}${round(m.shift)}${UNIT[m.name]}; canary ${round(m.canaryMean)} vs baseline ${round(m.baselineMean)}, ${m.samples[0]}/${m.samples[1]} periods)`,
  );
  return `score ${Math.round(j.score)}: ${parts.join('; ')}`;
}
