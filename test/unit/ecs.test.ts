import { describe, expect, it } from '@jest/globals';
import { assessService, deriveTaskDefinition, parseEcrImage, parseImageManifest, repositoryOf } from '../../src/core/ecs.js';
import { InvalidInput } from '../../src/core/errors.js';

const live = {
  family: 'api',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:7',
  revision: 7,
  status: 'ACTIVE',
  registeredAt: new Date(0),
  compatibilities: ['EC2', 'FARGATE'],
  requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
  taskRoleArn: 'arn:aws:iam::123456789012:role/api-task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/api-exec',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  containerDefinitions: [
    {
      name: 'api',
      image: 'repo/api:1',
      portMappings: [{ containerPort: 8080 }],
      environment: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'MODE', value: 'a' },
      ],
      secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db' }],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api' } },
    },
    { name: 'otel', image: 'otel:0.40', environment: [] },
  ],
};

describe('Function: deriveTaskDefinition', () => {
  it('changes only the manifest fields and drops what Register does not accept', () => {
    const next = deriveTaskDefinition(live, { api: 'repo/api@sha256:' + 'a'.repeat(64) }, { api: { MODE: 'b', NEW: 'x' } });
    const { taskDefinitionArn: _a, revision: _r, status: _s, registeredAt: _d, compatibilities: _c, requiresAttributes: _q, ...registrable } = live;
    const expected = structuredClone(registrable);
    expected.containerDefinitions[0].image = 'repo/api@sha256:' + 'a'.repeat(64);
    expected.containerDefinitions[0].environment = [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'MODE', value: 'b' },
      { name: 'NEW', value: 'x' },
    ];
    expect(next).toEqual(expected);
    expect(live.containerDefinitions[0].image).toBe('repo/api:1'); // the input is not mutated
  });
  it('refuses a manifest naming a container the live task definition does not have', () => {
    expect(() => deriveTaskDefinition(live, { web: 'x' })).toThrow(InvalidInput);
    expect(() => deriveTaskDefinition(live, { api: 'x' }, { sidecar: { A: 'b' } })).toThrow(/sidecar.*it has api, otel/);
  });
});

describe('Function: parseImageManifest', () => {
  const key = { app: 'api', version: '3.3.0', extension: 'json' };
  it('accepts images and environment overrides', () => {
    const m = parseImageManifest('{"version":"3.3.0","images":{"api":"123456789012.dkr.ecr.us-east-1.amazonaws.com/api:3.3.0"},"environment":{"api":{"A":"1"}}}', key);
    expect(m.images.api).toContain(':3.3.0');
  });
  it.each([
    ['{"version":"3.3.0","images":{}}', /names no image/],
    ['{"version":"3.3.0","images":{"api":"UPPER/Case"}}', /image reference/],
    ['{"version":"3.3.0","images":{"api":"a"},"environment":{"api":{"1BAD":"x"}}}', /environment variable name/],
    ['{"version":"3.3.1","images":{"api":"a"}}', /says version "3.3.1"/],
    ['{"version":"3.3.0","image":"a"}', /images/],
  ])('rejects %s', (body, msg) => {
    expect(() => parseImageManifest(body, key)).toThrow(msg);
  });
});

describe('Function: assessService', () => {
  const td = 'arn:td:2';
  const svc = (over: Partial<Parameters<typeof assessService>[0]> = {}) => ({
    desiredCount: 2,
    runningCount: 2,
    deployments: [{ status: 'PRIMARY', taskDefinition: td, rolloutState: 'COMPLETED', failedTasks: 0 }],
    ...over,
  });
  const healthy = [{ state: 'healthy' }, { state: 'healthy' }];
  it('is ready when stable on the pinned revision and every target is healthy', () => {
    expect(assessService(svc(), healthy, td, 2)).toMatchObject({ stable: true, ready: true, healthy: 2 });
  });
  it('is not stable while an old deployment remains', () => {
    const a = assessService(svc({ deployments: [...svc().deployments, { status: 'ACTIVE', taskDefinition: 'arn:td:1' }] }), healthy, td, 2);
    expect(a.stable).toBe(false);
  });
  it('is not ready until COMPLETED, nor with a target still initial, nor on another revision', () => {
    expect(assessService(svc({ deployments: [{ status: 'PRIMARY', taskDefinition: td, rolloutState: 'IN_PROGRESS' }] }), healthy, td, 2).ready).toBe(false);
    expect(assessService(svc(), [{ state: 'healthy' }, { state: 'initial' }], td, 2).ready).toBe(false);
    expect(assessService(svc(), healthy, 'arn:td:3', 2).ready).toBe(false);
  });
  it('counts failed tasks of the pinned deployment only', () => {
    expect(assessService(svc({ deployments: [{ status: 'PRIMARY', taskDefinition: td, rolloutState: 'IN_PROGRESS', failedTasks: 4 }] }), [], td, 2).failedTasks).toBe(4);
    expect(assessService(svc({ deployments: [{ status: 'PRIMARY', taskDefinition: 'other', failedTasks: 4 }] }), [], td, 2).failedTasks).toBe(0);
  });
});

describe('What a manifest may change (apps.<app>.images, deniedEnvironment)', () => {
  const live = {
    family: 'api',
    containerDefinitions: [{ name: 'api', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:3.2.0', secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db' }] }],
  };
  const policy = { app: 'api', repositories: [], requireDigest: false, deniedEnvironment: ['FEATURE_*'] };
  const digest = `@sha256:${'a'.repeat(64)}`;
  it('images: the live repository by default, the listed ones otherwise; digests when required', () => {
    expect(repositoryOf('registry.example.com:5000/team/api:1.0@sha256:abc')).toBe('registry.example.com:5000/team/api');
    expect(repositoryOf('public.ecr.aws/x/y')).toBe('public.ecr.aws/x/y');
    expect(deriveTaskDefinition(live, { api: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:3.3.0' }, {}, policy).containerDefinitions![0].image).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/api:3.3.0');
    expect(() => deriveTaskDefinition(live, { api: 'docker.io/evil/api:1' }, {}, policy)).toThrow(/is from repository docker\.io\/evil\/api, not 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/api: push it there, or list its repository in apps\.api\.images\.repositories/);
    expect(() => deriveTaskDefinition(live, { api: 'docker.io/evil/api:1' }, {}, { ...policy, repositories: ['docker.io/evil/api'] })).not.toThrow();
    expect(() => deriveTaskDefinition(live, { api: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:3.3.0' }, {}, { ...policy, requireDigest: true })).toThrow(/not pinned by digest \(apps\.api\.images\.requireDigest\)/);
    expect(() => deriveTaskDefinition(live, { api: `123456789012.dkr.ecr.us-east-1.amazonaws.com/api${digest}` }, {}, { ...policy, requireDigest: true })).not.toThrow();
  });
  it('environment: never a secret\'s name, AWS_*, NODE_OPTIONS, LD_PRELOAD, or a configured name; other variables are fine', () => {
    for (const key of ['DB_PASSWORD', 'AWS_ACCESS_KEY_ID', 'NODE_OPTIONS', 'LD_PRELOAD', 'FEATURE_X'])
      expect(() => deriveTaskDefinition(live, {}, { api: { [key]: 'x' } }, policy)).toThrow(new RegExp(`sets environment variable ${key} of container api, which`));
    expect(deriveTaskDefinition(live, {}, { api: { LOG_LEVEL: 'debug' } }, policy).containerDefinitions![0].environment).toEqual([{ name: 'LOG_LEVEL', value: 'debug' }]);
  });
});

describe('parseEcrImage: which image references ECR can be asked about', () => {
  it('private ECR by tag, by digest, with no tag (latest); other registries are not ECR', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseEcrImage('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:2.0.0')).toEqual({ registryId: '123456789012', region: 'eu-west-1', repository: 'team/api', tag: '2.0.0' });
    expect(parseEcrImage(`123456789012.dkr.ecr.us-east-1.amazonaws.com/api@${digest}`)).toEqual({ registryId: '123456789012', region: 'us-east-1', repository: 'api', digest });
    expect(parseEcrImage(`123456789012.dkr.ecr.us-east-1.amazonaws.com/api:2.0.0@${digest}`)).toMatchObject({ digest });
    expect(parseEcrImage('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/api')).toMatchObject({ region: 'cn-north-1', tag: 'latest' });
    for (const other of ['nginx:1.27', 'docker.io/library/nginx:1.27', 'ghcr.io/org/api:1', 'public.ecr.aws/nginx/nginx:1', '12345.dkr.ecr.us-east-1.amazonaws.com/api:1'])
      expect(parseEcrImage(other)).toBeNull();
  });
});
