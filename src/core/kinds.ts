import type { AppConfig, AsgAppConfig, EcsAppConfig, EipAppConfig } from './config.js';
import { InvalidInput } from './errors.js';
import type { Release } from './release.js';

// What each target kind can do, declared once. Steps, limits and CLI commands ask these traits
// ("is it behind a listener?", "does it take a retire?"), never the kind's name, so a new kind
// is its config schema, one entry here (tsc asks for it) and its driver (src/steps/kinds/).

export type Kind = AppConfig['kind'];
type AppOf<K extends Kind> = Extract<AppConfig, { kind: K }>;

/** An operator or alarm action beyond release and rollback. */
export type KindAction = Exclude<NonNullable<Release['action']>, 'release' | 'rollback'>;

export interface KindTraits<A extends AppConfig> {
  /**
   * Blue and green sit behind an ALB listener (or rule) whose target-group weights greenlight
   * moves: test listener and smoke checks, approval gate, canary/linear steps with bakes,
   * preview URLs, the alarm guard. The app's config has listenerArn, traffic, test, approval,
   * alarms. `true` here makes the kind a member of RoutedAppConfig.
   */
  routed: boolean;
  /** What one unit of capacity is called in messages and the plan. */
  unit: 'instances' | 'tasks' | 'server';
  /**
   * Where a rollback goes back to: 'history' = the artifact of the previous successful release
   * (read from the history, re-pinned on the idle colour); 'plan' = the kind's plan finds the
   * previous server itself.
   */
  rollbackFrom: 'history' | 'plan';
  /** Minutes the previous colour (or server) is kept to roll back to, after an action. */
  keepMinutes(app: A, action: NonNullable<Release['action']>): number;
  /** Why an action does not apply to this app (the operator's fix in the words), or null when it does. */
  refuses(app: A, name: string, action: KindAction): string | null;
}

function routedRefusal(app: AsgAppConfig | EcsAppConfig, name: string, action: KindAction): string | null {
  switch (action) {
    case 'retire':
      return null;
    case 'replace':
      return `replacement on a status alarm is implemented for eip apps; ${name} is ${app.kind}${app.kind === 'asg' ? ' (name the alarm in its replaceOnAlarms to replace one instance)' : ''}`;
    case 'mark-unhealthy':
      return app.kind === 'asg' ? null : `marking instances Unhealthy is for asg apps; ${name} is ${app.kind}`;
    case 'prewarm':
      if (app.kind === 'asg') return `prewarm keeps EC2 capacity behind an ECS cluster; ${name} is asg: its release needs new instances from the new launch template version anyway (use an EC2 Auto Scaling warm pool)`;
      return app.capacity === 'ec2' ? null : `prewarm keeps EC2 capacity behind an ECS cluster; ${name} is on Fargate (nothing to keep warm)`;
  }
}

/** Every kind's traits. */
export const KINDS: { readonly asg: KindTraits<AsgAppConfig> & { routed: true }; readonly ecs: KindTraits<EcsAppConfig> & { routed: true }; readonly eip: KindTraits<EipAppConfig> & { routed: false } } = {
  asg: {
    routed: true,
    unit: 'instances',
    rollbackFrom: 'history',
    keepMinutes: (app) => app.retire.keepWarmMinutes,
    refuses: routedRefusal,
  },
  ecs: {
    routed: true,
    unit: 'tasks',
    rollbackFrom: 'history',
    keepMinutes: (app) => app.retire.keepWarmMinutes,
    refuses: routedRefusal,
  },
  eip: {
    routed: false,
    unit: 'server',
    rollbackFrom: 'plan',
    // A replacement's old server is broken: nothing to keep.
    keepMinutes: (app, action) => (action === 'replace' ? 0 : app.retire.keepStoppedMinutes),
    refuses: (_app, name, action) =>
      action === 'replace'
        ? null
        : action === 'retire'
          ? `retire is for apps behind a load balancer; ${name} is eip, whose stopped previous server is terminated when its rollback window ends`
          : action === 'prewarm'
            ? `prewarm keeps EC2 capacity behind an ECS cluster; ${name} is eip`
            : `marking instances Unhealthy is for asg apps; ${name} is eip (its status alarm replaces the server)`,
  },
};

/** The kinds whose traits say `routed: true`. */
export type RoutedKind = { [K in Kind]: (typeof KINDS)[K]['routed'] extends true ? K : never }[Kind];
/** An app behind a load balancer, blue and green (the routed kinds: asg, ecs). */
export type RoutedAppConfig = AppOf<RoutedKind>;

export function traitsOf<A extends AppConfig>(app: A): KindTraits<A> {
  return KINDS[app.kind] as unknown as KindTraits<A>;
}

/** Is the app behind a load balancer listener (its kind's `routed` trait)? */
export function isRouted(app: AppConfig): app is RoutedAppConfig {
  return KINDS[app.kind].routed;
}

/** The reason an action does not apply to the app (named `name` in the config), or null. */
export function refusal(app: AppConfig, name: string, action: KindAction): string | null {
  return traitsOf(app).refuses(app, name, action);
}

/** An action the app's kind does not take is a wrong input, named with the reason. */
export function refuseUnless(app: AppConfig, name: string, action: KindAction): void {
  const why = refusal(app, name, action);
  if (why) throw new InvalidInput(why);
}
