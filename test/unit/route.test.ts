import { describe, expect, it } from '@jest/globals';
import { InvalidInput } from '../../src/core/errors.js';
import { colourWeights, liveColour, routeSends, shiftedActions } from '../../src/core/route.js';

const BLUE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/aaaa';
const GREEN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/bbbb';
const app = { blue: { targetGroupArn: BLUE, autoScalingGroupName: 'b' }, green: { targetGroupArn: GREEN, autoScalingGroupName: 'g' } };

describe('Function: liveColour', () => {
  it.each([
    [[{ Type: 'forward', TargetGroupArn: BLUE }], 'blue'],
    [[{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: GREEN, Weight: 100 }, { TargetGroupArn: BLUE, Weight: 0 }] } }], 'green'],
    [[{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: GREEN, Weight: 10 }, { TargetGroupArn: BLUE, Weight: 90 }] } }], 'split'],
    [[{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: GREEN, Weight: 0 }, { TargetGroupArn: BLUE, Weight: 0 }] } }], 'none'],
  ])('reads %j as %s', (actions, want) => {
    expect(liveColour(colourWeights(actions, app))).toBe(want);
  });

  it('refuses a route that forwards to a foreign target group', () => {
    const actions = [{ Type: 'forward', TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/other/cccc' }];
    expect(() => colourWeights(actions, app)).toThrow(InvalidInput);
  });
  it('refuses a route with no forward action', () => {
    expect(() => colourWeights([{ Type: 'fixed-response' }], app)).toThrow(/0 forward actions/);
  });
});

describe('Function: shiftedActions', () => {
  it('keeps other actions and stickiness, and sends 100% to the new colour', () => {
    const before = [
      { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { Issuer: 'https://idp', ClientId: 'x' } },
      { Type: 'forward', Order: 2, TargetGroupArn: BLUE, ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 } } },
    ];
    const after = shiftedActions(before, GREEN, BLUE);
    expect(after[0]).toEqual({ Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { Issuer: 'https://idp', ClientId: 'x', ClientSecret: undefined, UseExistingClientSecret: true } });
    expect(after[1]).toEqual({
      Type: 'forward',
      Order: 2,
      ForwardConfig: { TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 }, TargetGroups: [{ TargetGroupArn: GREEN, Weight: 100 }, { TargetGroupArn: BLUE, Weight: 0 }] },
    });
    expect(routeSends(after, GREEN, BLUE)).toBe(true);
    expect(routeSends(before, GREEN, BLUE)).toBe(false);
  });

  it('routeSends is false when a third group still takes traffic', () => {
    const actions = [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: GREEN, Weight: 100 }, { TargetGroupArn: 'x', Weight: 1 }] } }];
    expect(routeSends(actions, GREEN, BLUE)).toBe(false);
  });
});

describe('Function: shadowingRule', () => {
  const rule = (arn: string, priority: number, hosts: string[], paths: string[] = [], otherConditions = 0) => ({ arn, priority, hosts, paths, otherConditions });
  it('finds a rule before mine whose hosts and paths cover all of mine', async () => {
    const { shadowingRule } = await import('../../src/core/route.js');
    const mine = rule('mine', 20, ['web.example.com']);
    expect(shadowingRule([rule('wild', 10, ['*.example.com']), mine], 'mine')?.arn).toBe('wild');
    expect(shadowingRule([rule('later', 30, ['*.example.com']), mine], 'mine')).toBeNull();
    expect(shadowingRule([rule('other', 10, ['shop.example.com']), mine], 'mine')).toBeNull();
    // A path condition narrows it: only part of mine's requests go there.
    expect(shadowingRule([rule('api', 10, ['*.example.com'], ['/api/*']), mine], 'mine')).toBeNull();
    expect(shadowingRule([rule('all', 10, [], ['/*']), mine], 'mine')?.arn).toBe('all');
    expect(shadowingRule([rule('hdr', 10, ['*.example.com'], [], 1), mine], 'mine')).toBeNull();
    // Mine with a path: a rule on a wider path takes it.
    expect(shadowingRule([rule('wide', 10, ['web.example.com'], ['/v1/*']), rule('mine', 20, ['web.example.com'], ['/v1/orders'])], 'mine')?.arn).toBe('wide');
  });
});
