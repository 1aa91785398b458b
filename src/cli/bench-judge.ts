import { loadScenarioFile, simulate } from '../local/simulate.js';
import { scenarioPath } from './scenarios.js';

// The canary judgement's error rates: canary-judge-good (the same distributions) and
// canary-judge-bad (2 points more 5xx) each run with seeds 1..n. A good canary rolled back is a
// false rollback; a bad one released is a missed regression.

export interface JudgeRates {
  seeds: number;
  falseRollbacks: number;
  falseRollbackRate: number;
  missedRegressions: number;
  missedRegressionRate: number;
  /** Runs that ended neither released nor rolled back (a simulation problem, not a verdict). */
  otherOutcomes: number;
  msPerRun: number;
}

export async function judgeRates(seeds = 50): Promise<JudgeRates> {
  const started = performance.now();
  const count = async (name: string, wrong: string) => {
    const base = loadScenarioFile(scenarioPath(name));
    let wrongs = 0;
    let others = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const { summary } = await simulate({ ...base, seed });
      if (summary.outcome === wrong) wrongs++;
      else if (summary.outcome !== 'released' && summary.outcome !== 'rolled-back') others++;
    }
    return { wrongs, others };
  };
  const good = await count('canary-judge-good', 'rolled-back');
  const bad = await count('canary-judge-bad', 'released');
  return {
    seeds,
    falseRollbacks: good.wrongs,
    falseRollbackRate: good.wrongs / seeds,
    missedRegressions: bad.wrongs,
    missedRegressionRate: bad.wrongs / seeds,
    otherOutcomes: good.others + bad.others,
    msPerRun: Math.round((performance.now() - started) / (2 * seeds)),
  };
}
