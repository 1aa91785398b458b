import type * as asg from './asg.js';
import type { AppOf, Kind, KindDriver } from './driver.js';
import type * as ecs from './ecs.js';
import type * as eip from './eip.js';

// Every kind file implements the whole driver interface (./driver.ts): checked here, at compile
// time, without importing any of them at run time. A new kind adds its file and a line here;
// the compiler then names each step table (plan.ts, green.ts, traffic.ts) that lacks it.

type Implements<M, K extends Kind> = M extends KindDriver<AppOf<K>> ? true : never;

export const KINDS_IMPLEMENT_THE_DRIVER: { asg: Implements<typeof asg, 'asg'>; ecs: Implements<typeof ecs, 'ecs'>; eip: Implements<typeof eip, 'eip'> } = { asg: true, ecs: true, eip: true };
