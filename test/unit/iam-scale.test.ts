import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseConfig, passRoleListed } from '../../src/core/config.js';
import { ROOT } from '../../src/local/definitions.js';

// Hundreds of apps on one stack (issue 18 item 7): with iam.scope: tags the functions' policies
// name resources by the greenlight:stack tag, so their size does not grow with the app count,
// and the EventBridge patterns that list groups and alarms are split to fit EventBridge's size.
const require = createRequire(import.meta.url);
const iam = require(join(ROOT, 'deploy', 'iam.cjs'));
const events = require(join(ROOT, 'deploy', 'events.cjs'));
const { manyApps } = require(join(ROOT, 'deploy', 'many-apps.cjs'));
type Doc = { apps: Record<string, Record<string, unknown>> };

describe('iam.scope: tags keeps every role policy the same size for any number of apps', () => {
  it('30, 300 and 1000 apps of mixed kinds give the same largest policy, under IAM\'s 10,240 characters', () => {
    const sizes = [30, 300, 1000].map((n) => iam.largestPolicy(manyApps(n, { scope: 'tags' })));
    expect(sizes.map((s) => s.problem)).toEqual([null, null, null]);
    expect(new Set(sizes.map((s) => s.chars)).size).toBe(1);
    expect(sizes[0].chars).toBeLessThan(10_240);
    // By name, the same 300 apps are refused, and the refusal names the tag scope as the fix.
    const names = iam.largestPolicy(manyApps(300));
    expect(names.problem).toMatch(/300 apps give the rollback role a \d+-character policy.*iam: \{ scope: tags, stack: <stage> \}.*greenlight:stack=<stage>/);
  });

  it('no policy names a configured group, service, listener, rule, template or address: each mutating statement is conditioned on the stack\'s tag', () => {
    const doc: Doc = manyApps(40, { scope: 'tags' });
    const text = JSON.stringify(iam.statementsFor(doc));
    const configured = Object.values(doc.apps).flatMap((a) => {
      const colours = [a.blue, a.green].filter(Boolean) as Record<string, string>[];
      return [a.listenerArn, a.launchTemplateId, a.allocationId, ...colours.flatMap((c) => [c.autoScalingGroupName, c.serviceName, c.cluster])].filter((x): x is string => typeof x === 'string');
    });
    expect(configured.length).toBeGreaterThan(150);
    expect(configured.filter((id) => text.includes(id))).toEqual([]);
    // Every Allow of a mutating action on a wildcard resource carries the tag condition (or is a
    // tag-on-create, a launch authorized through its template, or greenlight's own resources).
    const own = new Set(['StartReleases', 'LocksAndHistory', 'PublishReleaseEvents', 'PublishReleaseMessages', 'StopReleasesOnGuardAlarms', 'WriteManifestsForEcrPushes', 'StatusAlarmsOfLiveServers']);
    const throughTemplate = new Set(['LaunchFromConfiguredTemplates', 'LaunchReleaseImagesFromConfiguredTemplates', 'TagOnLaunch', 'TagImagesOnCreate', 'TagPreviewRulesOnCreate', 'TagOnRegister', 'RegisterReleaseTaskDefinitions', 'PassTaskRolesToEcs', 'ImagesOfLiveServers']);
    const untaggedWildcards = iam
      .statementsFor(doc)
      .filter((st: { Sid: string; Effect: string; Resource?: unknown; Condition?: Record<string, Record<string, unknown>> }) => st.Effect === 'Allow' && st.Sid !== 'ReadOnlyDescribeCallsWithoutResourceLevelPermissions' && !own.has(st.Sid) && !throughTemplate.has(st.Sid) && !st.Sid.startsWith('Read') && !st.Sid.startsWith('List'))
      .filter((st: { Condition?: Record<string, Record<string, unknown>> }) => st.Condition?.StringEquals?.['aws:ResourceTag/greenlight:stack'] !== 'prod')
      .map((st: { Sid: string }) => st.Sid);
    expect(untaggedWildcards).toEqual([]);
  });

  it('iam.scope: tags needs the stack\'s tag value, and says so', () => {
    expect(() => parseConfig({ iam: { scope: 'tags' }, apps: {} })).toThrow(/iam\.stack: required with iam\.scope: tags.*iam: \{ scope: tags, stack: prod \}/);
    expect(() => parseConfig({ iam: { scope: 'tag', stack: 'prod' }, apps: {} })).toThrow(/iam\.scope/);
    expect(parseConfig({ iam: { scope: 'tags', stack: 'prod' }, apps: {} }).iam).toEqual({ scope: 'tags', stack: 'prod' });
    expect(parseConfig({ apps: {} }).iam).toEqual({ scope: 'names' });
  });

  it('passRoles may name a role path ending in /*: one entry for every role under it, and nothing else', () => {
    const pattern = 'arn:aws:iam::123456789012:role/apps/*';
    expect(passRoleListed([pattern], 'arn:aws:iam::123456789012:role/apps/api-2-task')).toBe(true);
    expect(passRoleListed([pattern], 'arn:aws:iam::123456789012:role/admin')).toBe(false);
    expect(passRoleListed([pattern], 'arn:aws:iam::123456789012:role/apps-admin')).toBe(false);
    expect(passRoleListed(['arn:aws:iam::123456789012:role/web'], 'arn:aws:iam::123456789012:role/web')).toBe(true);
    const withRoles = (passRoles: string[]) => ({ apps: { api: { kind: 'ecs', capacity: 'fargate', listenerArn: manyApps(3).apps['api-2'].listenerArn, blue: manyApps(3).apps['api-2'].blue, green: manyApps(3).apps['api-2'].green, passRoles } } });
    expect(() => parseConfig(withRoles([pattern]))).not.toThrow();
    expect(() => parseConfig(withRoles(['arn:aws:iam::123456789012:role/*admin']))).toThrow(/passRoles\.0: must be an IAM role ARN.*or a role path ending in \/\*/);
  });
});

describe('examples/many-apps: the 300-app config', () => {
  it('is what deploy/many-apps.cjs generates (tag scope), and passes the config schema', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const file = parse(readFileSync(join(ROOT, 'examples', 'many-apps', 'greenlight.config.yml'), 'utf8'));
    expect(file).toEqual(manyApps(300, { scope: 'tags' }));
    expect(Object.keys(parseConfig(file).apps)).toHaveLength(300);
    expect(iam.largestPolicy(file).problem).toBeNull();
  });
});

describe('EventBridge patterns that list the apps\' groups and alarms fit its 2,048-character pattern size', () => {
  it('300 apps: the lifecycle and status-alarm patterns are split into rules that each fit and together list every group and alarm once', () => {
    const doc = manyApps(300, { scope: 'tags' });
    const lifecycle: { detail: { AutoScalingGroupName: string[] } }[] = events.lifecyclePatterns(doc);
    const alarms: { detail: { alarmName: string[] } }[] = events.alarmPatterns(doc);
    expect(lifecycle.length).toBeGreaterThan(1);
    expect(alarms.length).toBeGreaterThan(1);
    for (const p of [...lifecycle, ...alarms]) expect(JSON.stringify(p).length).toBeLessThanOrEqual(events.EVENT_PATTERN_LIMIT);
    expect(lifecycle.flatMap((p) => p.detail.AutoScalingGroupName)).toEqual(events.scaledGroups(doc));
    const eip = Object.entries(doc.apps as Record<string, { kind: string }>).filter(([, a]) => a.kind === 'eip').map(([n]) => `greenlight-${n}-status`).sort();
    expect(alarms.flatMap((p) => p.detail.alarmName)).toEqual(eip);
    // A small config keeps one rule each.
    expect(events.lifecyclePatterns(manyApps(8)).length).toBe(1);
  });
});

describe('The template fits CloudFormation\'s 500 resources, or the config is refused before packaging', () => {
  const size = require(join(ROOT, 'deploy', 'template-size.cjs'));
  it('predicts the packaged templates bench measured: 122 (1 app), 144 (16 apps), 431 (300 by tag)', () => {
    // The packaged counts are `greenlight bench`'s (iam.templates); test/template compares the
    // prediction with a fresh package of greenlight.config.yml.
    expect([size.templateResources(manyApps(1)), size.templateResources(manyApps(16)), size.templateResources(manyApps(300, { scope: 'tags' }))]).toEqual([122, 144, 431]);
  });
  it('400 apps of the mix (100 scaled ECS apps, 4 lifecycle hooks each) are over: refused with the count and the fix, by packaging and by check-config', async () => {
    const doc = manyApps(400, { scope: 'tags' });
    expect(size.templateResources(doc)).toBe(531);
    expect(size.resourceProblem(doc)).toMatch(/^the stack would have 531 CloudFormation resources, over the 500 .*100 scaled ECS apps.*split the apps across greenlight stacks/);
    expect(size.resourceProblem(manyApps(300, { scope: 'tags' }))).toBeNull();
    // Packaging: serverless.yml's roles (deploy/iam.cjs) refuse it before any template is written.
    expect(() => iam.roleResources(doc, 'dev')).toThrow(/greenlight\.config\.yml: the stack would have 531 CloudFormation resources/);
    expect(() => iam.roleResources(manyApps(300, { scope: 'tags' }), 'dev')).not.toThrow();
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'greenlight-size-')), 'greenlight.config.yml');
    writeFileSync(file, JSON.stringify(doc));
    const { checkConfig } = await import('../../src/cli/check-config.js');
    const err: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => err.push(s) > 0) as typeof process.stderr.write;
    try {
      expect(checkConfig(file)).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    expect(err.join('')).toMatch(/531 CloudFormation resources, over the 500/);
  });
});
