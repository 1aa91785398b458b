import { describe, expect, it } from '@jest/globals';
import { appConfig, parseConfig } from '../../src/core/config.js';
import { executionNameFor, parseReleaseDescription, releaseDescription } from '../../src/core/release.js';

const base = {
  kind: 'asg',
  listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/0123456789abcdef/0123456789abcdef',
  launchTemplateId: 'lt-0123456789abcdef0',
  blue: { autoScalingGroupName: 'web-blue', targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef' },
  green: { autoScalingGroupName: 'web-green', targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/0123456789abcdef' },
  artifact: { type: 'ami' },
};

describe('Function: parseConfig', () => {
  it('fills defaults', () => {
    const c = parseConfig({ apps: { web: base } });
    expect(c.apps.web.health).toEqual({ timeoutSeconds: 900, pollSeconds: 5 });
    expect(c.apps.web.retire).toEqual({ keepWarmInstances: 1, keepWarmMinutes: 15, holdWhileAlarm: [], maxHoldMinutes: 120 });
  });
  it.each([
    [{ ...base, colour: 'x' }, /Unrecognized key/i],
    [{ ...base, green: base.blue }, /different Auto Scaling groups/],
    [{ ...base, listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alb/0123456789abcdef' }, /listenerArn: must be an ALB listener ARN/],
    [{ ...base, artifact: { type: 'bundle', userDataTemplate: 'aws s3 cp {{s3Uri}} .' } }, /artifact.userDataTemplate: .*versionId/],
    [{ ...base, health: { timeoutSeconds: 5 } }, /health.timeoutSeconds/],
    [
      { ...base, ruleArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/other/0123456789abcdef/0123456789abcdef/0123456789abcdef' },
      /rule must belong to listenerArn/,
    ],
  ])('rejects %j naming the field', (app, msg) => {
    expect(() => parseConfig({ apps: { web: app } })).toThrow(msg);
  });
  it('rejects bad app names', () => {
    expect(() => parseConfig({ apps: { Web: base } })).toThrow(/lowercase/);
  });
  it('names the configured apps when an unknown app is asked for', () => {
    expect(() => appConfig(parseConfig({ apps: { web: base } }), 'shop')).toThrow(/unknown app "shop".*configured: web/);
  });
  it('does not treat prototype keys as apps', () => {
    expect(() => appConfig(parseConfig({ apps: { web: base } }), 'constructor')).toThrow(/unknown app/);
  });
});

describe('Function: release naming', () => {
  it('round-trips the launch template description', () => {
    const d = releaseDescription({ app: 'web', version: '1.4.2', artifact: { versionId: 'abc' } as never });
    expect(parseReleaseDescription(d)).toEqual({ app: 'web', version: '1.4.2', versionId: 'abc' });
    expect(parseReleaseDescription('made by hand')).toBeNull();
  });
  it('gives both deliveries of one upload the same valid execution name, and another upload another', () => {
    const one = { bucket: 'b', key: 'releases/web/1.4.2.json', versionId: 'v1', sequencer: '01' };
    const name = executionNameFor(one);
    expect(name).toMatch(/^web-1_4_2-[0-9a-f]{16}$/);
    expect(executionNameFor({ ...one })).toBe(name);
    expect(executionNameFor({ ...one, versionId: 'v2' })).not.toBe(name);
    expect(executionNameFor({ bucket: 'b', key: `releases/${'a'.repeat(40)}/${'9'.repeat(64)}.tar.gz` }).length).toBeLessThanOrEqual(80);
  });
});
