import { describe, expect, it } from '@jest/globals';
import type { AppConfig } from '../../src/core/config.js';
import { isRouted, KINDS, refusal, traitsOf } from '../../src/core/kinds.js';
import { loadScenario, startSession } from '../../src/local/simulate.js';

// The kinds' traits (src/core/kinds.ts) are what the steps, limits and CLI ask instead of a
// kind's name. Prepare: one app of each kind (and ECS on both capacities) as the simulator's
// scenario builder configures them. Act/Assess: each trait against what the config holds.

function configured(): Record<string, AppConfig> {
  const session = startSession(
    loadScenario({
      name: 'kinds',
      description: 'one app of each kind',
      apps: [
        { name: 'web', instances: 2, initialVersion: '1.0.0', route: 'rule' },
        { name: 'api', kind: 'ecs', capacity: 'fargate', tasks: 2, initialVersion: '1.0.0', route: 'rule' },
        { name: 'batch', kind: 'ecs', capacity: 'ec2', instances: 1, tasks: 2, initialVersion: '1.0.0', route: 'rule' },
        { name: 'site', kind: 'eip', initialVersion: '1.0.0' },
      ],
      steps: [{ at: 10, upload: { app: 'web', version: '1.0.1' } }],
    }),
  );
  session.uninstall();
  return session.config.apps;
}

describe('Kind traits', () => {
  const apps = configured();

  it('routed means the app has a listener and the routed fields (traffic, test, approval, alarms)', () => {
    for (const [name, app] of Object.entries(apps)) {
      const hasRoutedFields = ['listenerArn', 'traffic', 'test', 'approval', 'alarms', 'blue', 'green'].filter((f) => f in app).length >= 4;
      expect({ name, routed: isRouted(app) }).toEqual({ name, routed: hasRoutedFields && 'listenerArn' in app });
    }
    expect(Object.entries(apps).filter(([, a]) => isRouted(a)).map(([n]) => n).sort()).toEqual(['api', 'batch', 'web']);
  });

  it('names each kind’s unit and where its rollback comes from', () => {
    expect(Object.fromEntries(Object.entries(KINDS).map(([k, t]) => [k, [t.unit, t.rollbackFrom]]))).toEqual({
      asg: ['instances', 'history'],
      ecs: ['tasks', 'history'],
      eip: ['server', 'plan'],
    });
  });

  it('accepts only the actions a kind can do, and says why otherwise, naming the app', () => {
    const table = Object.fromEntries(
      Object.entries(apps).map(([name, app]) => [name, Object.fromEntries((['retire', 'prewarm', 'replace', 'mark-unhealthy'] as const).map((a) => [a, refusal(app, name, a) === null]))]),
    );
    expect(table).toEqual({
      web: { retire: true, prewarm: false, replace: false, 'mark-unhealthy': true },
      api: { retire: true, prewarm: false, replace: false, 'mark-unhealthy': false },
      batch: { retire: true, prewarm: true, replace: false, 'mark-unhealthy': false },
      site: { retire: false, prewarm: false, replace: true, 'mark-unhealthy': false },
    });
    expect(refusal(apps.api, 'api', 'prewarm')).toMatch(/api is on Fargate \(nothing to keep warm\)/);
    expect(refusal(apps.web, 'web', 'prewarm')).toMatch(/web is asg: .*warm pool/);
    expect(refusal(apps.site, 'site', 'retire')).toMatch(/site is eip, whose stopped previous server is terminated/);
  });

  it('keeps the previous colour for the configured minutes, and nothing after an eip replacement', () => {
    const site = apps.site;
    const web = apps.web;
    if (site.kind !== 'eip' || web.kind !== 'asg') throw new Error('scenario built other kinds');
    expect(traitsOf(site).keepMinutes(site, 'release')).toBe(site.retire.keepStoppedMinutes);
    expect(traitsOf(site).keepMinutes(site, 'replace')).toBe(0);
    expect(traitsOf(web).keepMinutes(web, 'release')).toBe(web.retire.keepWarmMinutes);
  });
});
