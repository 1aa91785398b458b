import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../local/definitions.js';
import { actionsOf } from '../sim/authz.js';

// Each function's IAM role holds only the actions its code can call. The calls are read from
// the function's own bundle, built as serverless-esbuild builds it but with the SDK left external, so
// tree shaking has already dropped every adapter the handler cannot reach: what is left is each
// `new <Name>Command(` of an @aws-sdk client. Not minified, so the imported names stay readable
// (the minified bundle keeps unused imports of external modules, and renames the used ones).
// The result is committed as deploy/function-actions.json, which deploy/iam.cjs reads at
// package time; a test derives it again and fails when the code and the file differ.

export const ACTIONS_FILE = join(ROOT, 'deploy', 'function-actions.json');

/** The simulator's service names (src/sim/authz.ts) for the SDK's client packages. */
const SERVICE_OF_PACKAGE: Record<string, string> = {
  'client-s3': 's3',
  'client-ec2': 'ec2',
  'client-auto-scaling': 'autoscaling',
  'client-elastic-load-balancing-v2': 'elbv2',
  'client-ecs': 'ecs',
  'client-sfn': 'sfn',
  'client-cloudwatch': 'cloudwatch',
  'client-dynamodb': 'dynamodb',
  'client-eventbridge': 'events',
  'client-sns': 'sns',
};

export interface FunctionActions {
  generatedBy: string;
  functions: Record<string, { calls: string[]; actions: string[] }>;
}

/** The AWS calls a bundle makes: the SDK commands it imports and constructs. */
export function callsInBundle(code: string): string[] {
  const calls = new Set<string>();
  for (const m of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/([^"]+)"/g)) {
    const service = SERVICE_OF_PACKAGE[m[2]];
    for (const spec of m[1].split(',').map((x) => x.trim()).filter(Boolean)) {
      const [name, alias = name] = spec.split(/\s+as\s+/);
      if (!name.endsWith('Command')) continue;
      if (!new RegExp(`new ${alias.replace(/\$/g, '\\$')}\\(`).test(code)) continue;
      if (!service) throw new Error(`a function calls ${name} of @aws-sdk/${m[2]}, which greenlight has no IAM model for (src/sim/authz.ts)`);
      calls.add(`${service}:${name.replace(/Command$/, '')}`);
    }
  }
  return [...calls].sort();
}

export async function deriveFunctionActions(): Promise<FunctionActions> {
  const { build } = await import('esbuild');
  const names = readdirSync(join(ROOT, 'functions'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
  const functions: FunctionActions['functions'] = {};
  for (const name of names) {
    const r = await build({
      entryPoints: [join(ROOT, 'functions', `${name}.ts`)],
      bundle: true,
      minify: false,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      external: ['@aws-sdk/*'],
      define: { __GREENLIGHT_CONFIG__: '{}' },
      logLevel: 'silent',
    });
    const calls = callsInBundle(r.outputFiles[0].text);
    const actions = [...new Set(calls.flatMap((c) => actionsOf(c.split(':')[0], c.split(':')[1])))].sort();
    functions[name] = { calls, actions };
  }
  return { generatedBy: 'greenlight derive-iam (src/cli/derive-iam.ts): the AWS calls in each function bundle', functions };
}

/**
 * Commands the AWS SDK makes for itself, never greenlight's code: credential providers (STS,
 * SSO, SSO OIDC), S3 Express sessions and DynamoDB endpoint discovery. They are in a bundle that includes the SDK; in Lambda
 * the credentials come from the environment, so none is called (and no role grants them).
 */
export const SDK_INTERNAL_COMMANDS = ['AssumeRole', 'AssumeRoleWithWebIdentity', 'CreateOAuth2Token', 'CreateOAuth2TokenWithIAM', 'CreateSession', 'CreateToken', 'DescribeEndpoints', 'GetRoleCredentials'];

/**
 * What a shipped bundle (the SDK bundled in, minified) contains: the services whose clients it
 * registers (src/aws/clients.ts: `registerClient("<service>", ...)`) and the SDK commands it
 * includes after tree shaking (each a `class extends command(..., "<Name>", schema){}`).
 */
export function shippedBundleContents(code: string): { services: string[]; commands: string[] } {
  const services = new Set([...code.matchAll(/[\w$]+\("([a-z0-9]+)",[\w$]+=>new [\w$]+\([\w$]+\)\)/g)].map((m) => m[1]));
  const commands = new Set([...code.matchAll(/class extends [\w$]+\([\w$]+,[\w$]+,"([A-Za-z0-9]+)",[\w$]+\)\{\}/g)].map((m) => m[1]));
  return { services: [...services].sort(), commands: [...commands].sort() };
}

export function committedFunctionActions(): FunctionActions {
  return JSON.parse(readFileSync(ACTIONS_FILE, 'utf8')) as FunctionActions;
}

/** `greenlight derive-iam [--check]`: write deploy/function-actions.json, or (check) exit 1 when it is out of date. */
export async function runDeriveIam(check: boolean, json: boolean): Promise<number> {
  const derived = await deriveFunctionActions();
  const text = `${JSON.stringify(derived, null, 2)}\n`;
  if (check) {
    let committed = '';
    try {
      committed = readFileSync(ACTIONS_FILE, 'utf8');
    } catch {}
    if (committed !== text) {
      process.stderr.write('deploy/function-actions.json is out of date with the functions\' code: run `greenlight derive-iam` and commit it\n');
      return 1;
    }
  } else writeFileSync(ACTIONS_FILE, text);
  const rows = Object.entries(derived.functions);
  if (json) process.stdout.write(`${JSON.stringify(Object.fromEntries(rows.map(([n, f]) => [n, f.actions.length])))}\n`);
  else for (const [n, f] of rows) process.stdout.write(`${n.padEnd(20)} ${String(f.actions.length).padStart(3)} actions: ${f.actions.join(' ')}\n`);
  return 0;
}
