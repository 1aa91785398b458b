import type { VirtualClock } from './clock.js';

// The default event bus: rules with event patterns, targets invoked after a delivery delay.
// EventBridge delivers at least once, so a scenario can ask for a duplicate delivery.

export type EventPattern = { [k: string]: unknown };
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}
export interface BusRule {
  name: string;
  pattern: EventPattern;
  target: (event: BusEvent) => void;
}

export class EventBus {
  readonly rules: BusRule[] = [];
  readonly delivered: { t: number; rule: string; eventId: string }[] = [];
  /** Extra deliveries for the next matching events (at-least-once delivery). */
  duplicateNext = 0;
  /** Events a scenario loses on purpose, by rule name. */
  readonly dropNext = new Map<string, number>();
  readonly dropped: { t: number; rule: string; eventId: string }[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly deliveryDelaySeconds: number,
  ) {}

  putRule(rule: BusRule): void {
    this.rules.push(rule);
  }

  /** The next events put arrive this much later than usual (an event delivered late, out of order). */
  lateNext: number[] = [];

  put(event: BusEvent): void {
    const late = this.lateNext.shift() ?? 0;
    for (const rule of this.rules) {
      if (!matches(rule.pattern, event)) continue;
      const drop = this.dropNext.get(rule.name) ?? 0;
      if (drop > 0) {
        this.dropNext.set(rule.name, drop - 1);
        this.dropped.push({ t: this.clock.now, rule: rule.name, eventId: event.id });
        continue;
      }
      const copies = 1 + (this.duplicateNext > 0 ? 1 : 0);
      if (this.duplicateNext > 0) this.duplicateNext--;
      for (let k = 0; k < copies; k++) {
        this.clock.after(this.deliveryDelaySeconds + late + k * 0.5, () => {
          this.delivered.push({ t: this.clock.now, rule: rule.name, eventId: event.id });
          rule.target(structuredClone(event));
        });
      }
    }
  }
}

/** EventBridge pattern matching: exact values, prefix, suffix, anything-but, exists, numeric. */
export function matches(pattern: EventPattern, event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const ev = event as Record<string, unknown>;
  for (const [field, rule] of Object.entries(pattern)) {
    const value = ev[field];
    if (Array.isArray(rule)) {
      if (!matchesList(rule, value)) return false;
    } else if (typeof rule === 'object' && rule !== null) {
      if (!matches(rule as EventPattern, value)) return false;
    } else return false;
  }
  return true;
}

function matchesList(list: unknown[], value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return list.some((m) => {
    if (m !== null && typeof m === 'object') {
      const op = m as Record<string, unknown>;
      if ('exists' in op) return op.exists ? value !== undefined : value === undefined;
      if (value === undefined) return false;
      return values.some((v) => {
        if ('prefix' in op) return typeof v === 'string' && v.startsWith(String(op.prefix));
        if ('suffix' in op) return typeof v === 'string' && v.endsWith(String(op.suffix));
        if ('anything-but' in op) {
          const but = op['anything-but'];
          return !(Array.isArray(but) ? but : [but]).includes(v);
        }
        if ('numeric' in op) return typeof v === 'number' && numeric(op.numeric as unknown[], v);
        return false;
      });
    }
    return values.some((v) => v === m);
  });
}

function numeric(spec: unknown[], v: number): boolean {
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const [op, n] = [spec[i], Number(spec[i + 1])];
    const ok = op === '=' ? v === n : op === '<' ? v < n : op === '<=' ? v <= n : op === '>' ? v > n : op === '>=' ? v >= n : false;
    if (!ok) return false;
  }
  return true;
}
