// Retiring the old colour: what capacity it keeps, and when, after traffic left it.

export interface RetireStepPlan {
  /** Seconds after the switch. */
  afterSeconds: number;
  /** Instances (asg) or tasks (ecs) the old colour keeps from then on. */
  units: number;
}

/**
 * The schedule: the configured steps (a share of the capacity it had when traffic moved), or
 * keep-warm (keepWarm units at once, zero after keepWarmMinutes). The first step is at the
 * switch; the last keeps nothing.
 */
export function retireSchedule(retire: { keepWarmMinutes: number; steps?: { afterMinutes: number; percent: number }[] }, keepWarm: number, liveUnits: number): RetireStepPlan[] {
  if (!retire.steps) return [{ afterSeconds: 0, units: Math.min(keepWarm, liveUnits) }, { afterSeconds: Math.round(retire.keepWarmMinutes * 60), units: 0 }];
  const steps = retire.steps.map((s) => ({ afterSeconds: Math.round(s.afterMinutes * 60), units: Math.ceil((liveUnits * s.percent) / 100) }));
  return steps[0].afterSeconds > 0 ? [{ afterSeconds: 0, units: liveUnits }, ...steps] : steps;
}
