import { z } from 'zod';
import { checkUserDataTemplate } from './artifact.js';
import { InvalidInput } from './errors.js';
import { APP_NAME, formatIssues, truncate } from './text.js';

// The operator's configuration: which apps exist and which resources each may touch.
// Strict objects everywhere: a typo in a key is an error, not a silently ignored setting.

const listenerArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/[^/]+\/[0-9a-f]+\/[0-9a-f]+$/, {
    message: 'must be an ALB listener ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener/app/...)',
  });
const ruleArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule\/app\/[^/]+\/[0-9a-f]+\/[0-9a-f]+\/[0-9a-f]+$/, {
    message: 'must be an ALB listener-rule ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/...)',
  });
const targetGroupArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/, {
    message: 'must be a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)',
  });

const colour = z
  .object({
    autoScalingGroupName: z.string().min(1).max(255),
    targetGroupArn,
  })
  .strict();

const artifact = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ami') }).strict(),
  z
    .object({
      type: z.literal('bundle'),
      /** Rendered into the launch template's user data. Placeholders: see USER_DATA_PLACEHOLDERS. */
      userDataTemplate: z
        .string()
        .min(1)
        .max(12_000)
        .superRefine((t, ctx) => {
          const problem = checkUserDataTemplate(t);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    })
    .strict(),
]);

const asgApp = z
  .object({
    kind: z.literal('asg'),
    /** Traffic is routed by this listener's default action ... */
    listenerArn,
    /** ... or, when set, by this rule of the listener (shared ALBs). */
    ruleArn: ruleArn.optional(),
    launchTemplateId: z.string().regex(/^lt-[0-9a-f]{8,17}$/, { message: 'must be a launch template id (lt-...)' }),
    blue: colour,
    green: colour,
    artifact,
    health: z
      .object({
        timeoutSeconds: z.number().int().min(60).max(7200).default(900),
        pollSeconds: z.number().int().min(1).max(300).default(5),
      })
      .strict()
      .default({ timeoutSeconds: 900, pollSeconds: 5 }),
    retire: z
      .object({
        keepWarmInstances: z.number().int().min(0).max(1000).default(1),
        keepWarmMinutes: z.number().min(0).max(2880).default(15),
      })
      .strict()
      .default({ keepWarmInstances: 1, keepWarmMinutes: 15 }),
    onFailure: z
      .object({ keepGreenForInspection: z.boolean().default(false) })
      .strict()
      .default({ keepGreenForInspection: false }),
  })
  .strict()
  .superRefine((app, ctx) => {
    if (app.blue.autoScalingGroupName === app.green.autoScalingGroupName)
      ctx.addIssue({ code: 'custom', path: ['green', 'autoScalingGroupName'], message: 'blue and green must be different Auto Scaling groups' });
    if (app.blue.targetGroupArn === app.green.targetGroupArn)
      ctx.addIssue({ code: 'custom', path: ['green', 'targetGroupArn'], message: 'blue and green must use different target groups' });
    if (app.ruleArn) {
      const lst = app.listenerArn.split(':listener/')[1];
      const rl = app.ruleArn.split(':listener-rule/')[1];
      if (!rl.startsWith(lst + '/'))
        ctx.addIssue({ code: 'custom', path: ['ruleArn'], message: 'the rule must belong to listenerArn' });
    }
  });

export const AppConfigSchema = asgApp;
export const ConfigSchema = z
  .object({
    apps: z.record(z.string(), AppConfigSchema).superRefine((apps, ctx) => {
      for (const name of Object.keys(apps))
        if (!APP_NAME.test(name))
          ctx.addIssue({ code: 'custom', path: [name], message: 'app names are lowercase letters, digits and dashes, starting with a letter (max 40)' });
    }),
  })
  .strict();

export type AppConfig = z.infer<typeof AppConfigSchema>;
export type Config = z.infer<typeof ConfigSchema>;
export type Colour = 'blue' | 'green';

/** Validate a parsed config document; the error names each bad field and the fix. */
export function parseConfig(doc: unknown): Config {
  const parsed = ConfigSchema.safeParse(doc);
  if (!parsed.success) throw new InvalidInput(`invalid greenlight config: ${formatIssues(parsed.error.issues)}`);
  return parsed.data;
}

export function appConfig(config: Config, app: string): AppConfig {
  const found = Object.hasOwn(config.apps, app) ? config.apps[app] : undefined;
  if (!found) {
    const known = Object.keys(config.apps).sort().join(', ') || '(none)';
    throw new InvalidInput(`unknown app "${truncate(app, 64)}": add it under apps: in greenlight.config.yml (configured: ${known})`);
  }
  return found;
}
