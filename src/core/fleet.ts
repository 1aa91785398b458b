// Pure decisions about Auto Scaling capacity and readiness.

export interface Capacity {
  min: number;
  max: number;
  desired: number;
}

export interface GroupInstance {
  instanceId: string;
  lifecycleState: string;
  healthStatus: string;
  launchTemplateVersion: string | undefined;
}

export interface TargetHealth {
  id: string;
  state: string; // initial | healthy | unhealthy | unused | draining | unavailable
}

export interface GreenAssessment {
  desired: number;
  inService: number;
  healthy: number;
  /** Instances of an older launch-template version (left over from a warm colour). */
  stale: string[];
  ready: boolean;
}

/**
 * Green is ready when it has `desired` InService instances, all on the pinned launch-template
 * version, each healthy in green's target group, and nothing else is registered there.
 */
export function assessGreen(instances: readonly GroupInstance[], targets: readonly TargetHealth[], pinnedVersion: string, desired: number): GreenAssessment {
  const live = instances.filter((i) => !i.lifecycleState.startsWith('Terminat') && i.lifecycleState !== 'Detached');
  const current = live.filter((i) => i.launchTemplateVersion === pinnedVersion);
  const stale = live.filter((i) => i.launchTemplateVersion !== pinnedVersion).map((i) => i.instanceId);
  const inService = current.filter((i) => i.lifecycleState === 'InService' && i.healthStatus === 'Healthy');
  const health = new Map(targets.map((t) => [t.id, t.state]));
  const healthy = inService.filter((i) => health.get(i.instanceId) === 'healthy').length;
  const foreignServing = targets.filter((t) => t.state !== 'draining' && !current.some((i) => i.instanceId === t.id)).length;
  return {
    desired,
    inService: inService.length,
    healthy,
    stale,
    ready: desired > 0 && stale.length === 0 && inService.length === desired && healthy === desired && foreignServing === 0,
  };
}

/** Capacity for keeping the old colour warm: never raises anything, only lowers. */
export function warmCapacity(current: Capacity, keepWarm: number): Pick<Capacity, 'min' | 'desired'> | null {
  const desired = Math.min(current.desired, keepWarm);
  const min = Math.min(current.min, desired);
  return desired === current.desired && min === current.min ? null : { min, desired };
}
