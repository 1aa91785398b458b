import { describe, expect, it } from '@jest/globals';
import { colourOfGroup, countsAsCapacity, countsTowardTasks, desiredTasks, expectedJoinAt, holdForReplacement, JOIN_MARGIN_MS, nextJoinCheckAt, parseLifecycleEvent } from '../../src/core/capacity.js';
import { parseConfig } from '../../src/core/config.js';

const tg = (n: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${n}/0123456789abcdef`;
const config = parseConfig({
  apps: {
    shop: {
      kind: 'ecs',
      listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/0123456789abcdef/0123456789abcdef',
      capacity: 'ec2',
      blue: { cluster: 'shop-blue', serviceName: 'shop-blue', targetGroupArn: tg('shop-blue'), autoScalingGroupName: 'shop-blue-asg' },
      green: { cluster: 'shop-green', serviceName: 'shop-green', targetGroupArn: tg('shop-green'), autoScalingGroupName: 'shop-green-asg' },
      scaling: { tasksPerInstance: 3, minTasks: 2, maxTasks: 20 },
    },
  },
});

describe('Function: desiredTasks', () => {
  it.each([
    [0, 2],
    [1, 3],
    [4, 12],
    [10, 20],
  ])('%i joined instances → %i tasks (3 each, clamped to 2..20)', (joined, want) => {
    expect(desiredTasks(joined, config.apps.shop.kind === 'ecs' ? config.apps.shop.scaling! : (null as never))).toBe(want);
  });
});

describe('Function: colourOfGroup', () => {
  it('finds the app colour a group backs, and nothing for other groups', () => {
    expect(colourOfGroup(config, 'shop-green-asg')).toEqual({ app: 'shop', colour: 'green' });
    expect(colourOfGroup(config, 'someone-elses-asg')).toBeNull();
  });
});

describe('Function: countsAsCapacity', () => {
  it('counts instances in the group and not leaving it', () => {
    expect(['Pending', 'Pending:Wait', 'Pending:Proceed', 'InService'].map(countsAsCapacity)).toEqual([true, true, true, true]);
    expect(['Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Detaching', 'Standby'].map(countsAsCapacity)).toEqual([false, false, false, false, false]);
  });
});

describe('Function: countsTowardTasks', () => {
  const active = { status: 'ACTIVE', tasks: 2 };
  it('counts a joined instance that stays, or that is leaving with tasks and not draining yet (held)', () => {
    expect(['InService', 'Pending:Wait', 'Terminating', 'Terminating:Wait'].map((l) => countsTowardTasks(l, active))).toEqual([true, true, true, true]);
    expect(['InService', 'Terminating:Wait'].map((l) => countsTowardTasks(l, { status: 'DRAINING', tasks: 2 }))).toEqual([false, false]);
    expect(['Terminating:Proceed', 'Detaching', 'Standby'].map((l) => countsTowardTasks(l, active))).toEqual([false, false, false]);
  });
  it('does not count a leaving instance that joined with nothing on it', () => {
    expect(countsTowardTasks('Terminating:Wait', { status: 'ACTIVE', tasks: 0 })).toBe(false);
    expect(countsTowardTasks('InService', { status: 'ACTIVE', tasks: 0 })).toBe(true);
  });
});

describe('Function: holdForReplacement', () => {
  const s = { tasksPerInstance: 2, minTasks: 0, maxTasks: 100 };
  it('holds a serving instance while the others lack room and an instance is launching', () => {
    expect(holdForReplacement({ tasksOnInstance: 2, joinedOthers: 2, launching: 1, desiredNow: 6 }, s)).toBe(true);
  });
  it('drains at once: nothing launching (a real scale-in), room elsewhere, or nothing running there', () => {
    expect(holdForReplacement({ tasksOnInstance: 2, joinedOthers: 2, launching: 0, desiredNow: 6 }, s)).toBe(false);
    expect(holdForReplacement({ tasksOnInstance: 2, joinedOthers: 3, launching: 1, desiredNow: 6 }, s)).toBe(false);
    expect(holdForReplacement({ tasksOnInstance: 0, joinedOthers: 2, launching: 1, desiredNow: 6 }, s)).toBe(false);
  });
});

describe('Function: parseLifecycleEvent', () => {
  const event = (transition: string, extra: Record<string, unknown> = {}) => ({
    source: 'aws.autoscaling',
    detail: { LifecycleActionToken: 't', AutoScalingGroupName: 'g', LifecycleHookName: 'h', EC2InstanceId: 'i-1', LifecycleTransition: transition, ...extra },
  });
  it('reads launch and terminate actions', () => {
    expect(parseLifecycleEvent(event('autoscaling:EC2_INSTANCE_LAUNCHING'))).toEqual({ transition: 'launch', group: 'g', instanceId: 'i-1', hook: 'h', token: 't' });
    expect(parseLifecycleEvent(event('autoscaling:EC2_INSTANCE_TERMINATING')).transition).toBe('terminate');
  });
  it('names what is missing', () => {
    expect(() => parseLifecycleEvent(event('autoscaling:TEST_NOTIFICATION'))).toThrow(/EC2_INSTANCE_LAUNCHING or EC2_INSTANCE_TERMINATING/);
    expect(() => parseLifecycleEvent(event('autoscaling:EC2_INSTANCE_LAUNCHING', { LifecycleActionToken: undefined }))).toThrow(/missing LifecycleActionToken/);
  });
});

describe('Function: parseConfig (scaling)', () => {
  it('needs ec2 capacity and sane bounds', () => {
    const base = { ...config.apps.shop } as Record<string, unknown>;
    expect(() => parseConfig({ apps: { shop: { ...base, scaling: { tasksPerInstance: 2, minTasks: 9, maxTasks: 3 } } } })).toThrow(/minTasks must not exceed maxTasks/);
  });
});

describe('Function: expectedJoinAt / nextJoinCheckAt', () => {
  const s = { pollSeconds: 5, joinTimeoutSeconds: 600 };
  it('predicts the join from the shortest delay the cluster’s instances had', () => {
    // Three instances joined 70 s, 95 s (its agent re-registered) and 72 s after their launch.
    expect(expectedJoinAt(1_000_000, [70_000, 95_000, 72_000])).toBe(1_070_000);
    // Nothing known: no joins, no launch time, or only nonsense delays.
    expect(expectedJoinAt(1_000_000, [])).toBeNull();
    expect(expectedJoinAt(null, [70_000])).toBeNull();
    expect(expectedJoinAt(1_000_000, [0, -5, Number.NaN])).toBeNull();
  });
  it('looks at the prediction, then every second for a poll period, then every pollSeconds', () => {
    const expected = 1_070_000;
    expect(nextJoinCheckAt(1_001_000, expected, s).at).toBe(expected + JOIN_MARGIN_MS);
    expect(nextJoinCheckAt(expected + JOIN_MARGIN_MS, expected, s).at).toBe(expected + JOIN_MARGIN_MS + 1000);
    expect(nextJoinCheckAt(expected + JOIN_MARGIN_MS + 4_000, expected, s).at).toBe(expected + JOIN_MARGIN_MS + 5_000);
    expect(nextJoinCheckAt(expected + JOIN_MARGIN_MS + 5_000, expected, s).at).toBe(expected + JOIN_MARGIN_MS + 10_000);
    // Without a prediction: the fixed poll, as before.
    expect(nextJoinCheckAt(1_001_000, null, s).at).toBe(1_006_000);
  });
  it('never waits more than half the join timeout for a prediction', () => {
    expect(nextJoinCheckAt(0, 3_600_000, s).at).toBe(300_000);
  });
});
