import { type TargetGroupPeriod, targetGroupPeriods } from '../aws/cloudwatch.js';
import type { RoutedAppConfig } from '../core/config.js';
import { CanaryJudgedBad, JudgementPending } from '../core/errors.js';
import { describeJudgement, judge, type MetricSamples } from '../core/judge.js';
import type { Deps } from './deps.js';
import type { RoutedPlan } from './types.js';

// The canary judged at the end of a traffic step's bake: green's target group (the canary)
// against the live colour's (the baseline), over the whole periods of the bake that CloudWatch
// has published. The statistics are src/core/judge.ts's.

/**
 * Judge the step that baked from `bakeStartedAt` until now: a passing judgement in words
 * ("pass, score 100: errors pass (p=…)"), or null without `judge:`. Throws CanaryJudgedBad (a
 * fail, or a marginal score at the last bake) with the judgement in its message, or
 * JudgementPending when fewer than minPeriods periods are readable on either side.
 */
export async function judgeBake(deps: Deps, app: RoutedAppConfig, plan: RoutedPlan, bakeStartedAt: string, o: { percent: number; last: boolean; version: string }): Promise<string | null> {
  const j = app.judge;
  if (!j) return null;
  const period = j.periodSeconds * 1000;
  // Whole periods only: the one the step began in also carried the traffic before it.
  const start = new Date(Math.ceil(Date.parse(bakeStartedAt) / period) * period);
  const end = new Date(Math.floor(deps.now().getTime() / period) * period);
  const canaryArn = plan.idle.targetGroupArn;
  const baselineArn = plan.live.targetGroupArn;
  const periods =
    end > start
      ? await targetGroupPeriods(deps.clients.cloudwatch, { listenerArn: app.listenerArn, targetGroupArns: [canaryArn, baselineArn], start, end, periodSeconds: j.periodSeconds })
      : new Map<string, TargetGroupPeriod[]>();
  const canary = periods.get(canaryArn) ?? [];
  const baseline = periods.get(baselineArn) ?? [];
  if (canary.length < j.minPeriods || baseline.length < j.minPeriods)
    throw new JudgementPending(
      `canary judgement: ${canary.length} period(s) of ${plan.idle.colour}'s metrics and ${baseline.length} of ${plan.live.colour}'s are readable since ${start.toISOString()}, judge.minPeriods is ${j.minPeriods} (CloudWatch publishes a minute after it ends; with too little traffic a period has no data)`,
    );
  const samples: MetricSamples[] = j.metrics.map((name) =>
    name === 'errors'
      ? { name, canary: canary.map((p) => (100 * p.errors5xx) / p.requests), baseline: baseline.map((p) => (100 * p.errors5xx) / p.requests), tolerance: j.tolerance.errorsPoints }
      : {
          name,
          canary: canary.flatMap((p) => (p.latencyMs === null ? [] : [p.latencyMs])),
          baseline: baseline.flatMap((p) => (p.latencyMs === null ? [] : [p.latencyMs])),
          tolerance: j.tolerance.latencyMs,
        },
  );
  const judgement = judge(samples, { alpha: j.alpha, passScore: j.passScore, marginalScore: j.marginalScore });
  const summary = describeJudgement(judgement);
  const failed = judgement.verdict === 'fail' || (judgement.verdict === 'marginal' && o.last);
  if (failed)
    throw new CanaryJudgedBad(
      `canary judged ${judgement.verdict} at ${o.percent}% (${plan.idle.colour} ${o.version} against ${plan.live.colour} ${plan.live.version ?? '?'}, ${canary.length}/${baseline.length} periods of ${j.periodSeconds} s, Mann-Whitney U, alpha ${j.alpha}): ${summary}: rolling back`,
    );
  return `${judgement.verdict}, ${summary}`;
}
