import type { AppConfig } from '../../core/config.js';
import type { HealthCheckTiming } from '../../core/green-timing.js';
import type { Release, Settings } from '../../core/release.js';
import type { Deps } from '../deps.js';
import type { Execution } from '../lock.js';
import type { Shift } from '../traffic.js';
import type { Assessment, EipPlan, Green, Plan, PreparedGreen, RoutedPlan } from '../types.js';

// What differs by target kind, behind one interface (as Argo Rollouts puts each traffic router
// behind TrafficRoutingReconciler). Each kind is one file, src/steps/kinds/<kind>.ts, exporting
// these functions by these names; `./index.ts` checks at compile time that every kind file
// implements all of them. The release's steps (plan.ts, green.ts, traffic.ts) choose the kind's
// function once, from a table per step keyed by kind: a table that misses a kind does not compile.
//
// Each step file imports only the functions its own table names, so a function's bundle (and
// the IAM policy derived from it, deploy/function-actions.json) holds only what that step
// calls: a driver object holding every method would put every kind's every call in every role.

export type Kind = AppConfig['kind'];
export type AppOf<K extends Kind> = Extract<AppConfig, { kind: K }>;

/** The plan a kind's steps get: an eip app's, or a routed app's. */
export type PlanOf<K extends Kind> = K extends 'eip' ? EipPlan : RoutedPlan;

export interface GreenInput<P extends Plan = Plan> {
  release: Release;
  settings: Settings;
  plan: P;
}

export interface NextCheck {
  at: number;
  why: string;
  healthCheck?: HealthCheckTiming | null;
}

export interface SwitchInput<P extends Plan = Plan> {
  release: Release;
  plan: P;
  green: Green;
  /** The release's settings (the bake's watch window; a hand-typed input may lack them). */
  settings?: Settings;
  shift?: Shift;
  execution?: Execution;
}

export interface RetireInput<P extends Plan = Plan> {
  release: Release;
  plan: P;
  phase?: 'zero';
  step?: number;
  heldSince?: string | null;
  settings?: Settings;
  execution?: Execution;
}

/** What a retire step answers: the state machine waits `waitSeconds`, then calls the next step unless `done`. */
export interface Retired {
  colour: string;
  step: number;
  done: boolean;
  waitSeconds: number;
  heldSince: string | null;
  [detail: string]: unknown;
}

export interface RollbackInput<P extends Plan = Plan> {
  release: Release;
  plan: P;
  reason: string;
  execution?: Execution;
}

export interface RolledBack {
  reason: string;
  liveColour: string;
  [detail: string]: unknown;
}

/** The release's steps that differ by kind (P: the plan of that kind). */
export interface KindDriver<A extends AppConfig, P extends Plan = PlanOf<A['kind']>> {
  /** Which colour (or server) is live, read from AWS, and what green must become; reads only. */
  plan(deps: Deps, app: A, release: Release): Promise<P>;
  /** Bring green up on exactly the release's artifact, at the live colour's size; converges. */
  prepareGreen(deps: Deps, app: A, input: GreenInput<P>): Promise<PreparedGreen>;
  /** Is green fully healthy on the pinned artifact? */
  assess(deps: Deps, app: A, input: GreenInput<P> & { green: Green }): Promise<Assessment>;
  /** When to look at a green that is not ready yet: the earliest instant it can be. */
  nextCheck(deps: Deps, app: A, input: GreenInput<P> & { green: Green }, a: Assessment): Promise<NextCheck>;
  /** The next traffic step, read back (eip: the address moves, in one step). */
  switchTraffic(deps: Deps, app: A, input: SwitchInput<P>): Promise<Shift>;
  /** One step of the old colour's retirement (or all of it: `phase: "zero"`). */
  retire(deps: Deps, app: A, input: RetireInput<P>): Promise<Retired>;
  /** Traffic back on the old colour if it moved; green to zero unless kept for inspection. */
  rollback(deps: Deps, app: A, input: RollbackInput<P>): Promise<RolledBack>;
}

/** One method of every kind's driver, by kind: each step's table. */
export type ByKind<M extends keyof KindDriver<AppConfig>> = { [K in Kind]: KindDriver<AppOf<K>>[M] };

/** The app's own function from a step's table (the table is complete by its type). */
export function forKind<M extends keyof KindDriver<AppConfig>>(table: ByKind<M>, app: AppConfig): KindDriver<AppConfig, Plan>[M] {
  // The plan a step gets was made for this app by its kind's own plan (Plan's `kind` says so).
  return table[app.kind] as unknown as KindDriver<AppConfig, Plan>[M];
}
