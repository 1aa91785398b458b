import { SimAwsError } from './errors.js';

// DynamoDB, as far as greenlight uses it: one table with a string hash and range key, items of
// AttributeValues, and the expression language's subset for conditional writes (lock) and
// key-condition queries (history). Writes are atomic per item; reads are strongly consistent.

export type AV = { S?: string; N?: string; BOOL?: boolean; NULL?: boolean; M?: Record<string, AV>; L?: AV[]; SS?: string[] };
export type Item = Record<string, AV>;

interface Table {
  name: string;
  hash: string;
  range?: string;
  items: Map<string, Item>;
}

export interface ExpressionInput {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

const MAX_ITEM_BYTES = 400 * 1024;

export class SimDynamoDB {
  readonly tables = new Map<string, Table>();
  /** Successful conditional writes, and ConditionalCheckFailed answers (for the scenario report). */
  readonly stats = { conditionalWrites: 0, conditionFailures: 0 };

  createTable(name: string, hash: string, range?: string): void {
    this.tables.set(name, { name, hash, range, items: new Map() });
  }

  private table(name: string): Table {
    const t = this.tables.get(name);
    if (!t) throw new SimAwsError('ResourceNotFoundException', 'Requested resource not found');
    return t;
  }

  private keyOf(t: Table, key: Item): string {
    const names = [t.hash, ...(t.range ? [t.range] : [])];
    if (Object.keys(key).length !== names.length || names.some((n) => !key[n]))
      throw new SimAwsError('ValidationException', 'The provided key element does not match the schema');
    return names.map((n) => `${n}=${key[n].S ?? key[n].N}`).join('\u0000');
  }

  getItem(i: { TableName: string; Key: Item }): { Item?: Item } {
    const t = this.table(i.TableName);
    const item = t.items.get(this.keyOf(t, i.Key));
    return item ? { Item: structuredClone(item) } : {};
  }

  putItem(i: ExpressionInput & { TableName: string; Item: Item; ConditionExpression?: string; ReturnValuesOnConditionCheckFailure?: string }): Record<string, never> {
    const t = this.table(i.TableName);
    const k = this.keyOf(t, pick(i.Item, [t.hash, ...(t.range ? [t.range] : [])]));
    this.check(i, t.items.get(k));
    checkSize(i.Item);
    t.items.set(k, structuredClone(i.Item));
    return {};
  }

  updateItem(
    i: ExpressionInput & { TableName: string; Key: Item; UpdateExpression: string; ConditionExpression?: string; ReturnValues?: string; ReturnValuesOnConditionCheckFailure?: string },
  ): { Attributes?: Item } {
    const t = this.table(i.TableName);
    const k = this.keyOf(t, i.Key);
    const old = t.items.get(k);
    this.check(i, old);
    const next: Item = structuredClone(old ?? i.Key);
    applyUpdate(i.UpdateExpression, next, i);
    for (const n of [t.hash, t.range]) if (n && next[n] === undefined) throw new SimAwsError('ValidationException', `Cannot update attribute ${n}. This attribute is part of the key`);
    checkSize(next);
    t.items.set(k, next);
    return i.ReturnValues === 'ALL_NEW' ? { Attributes: structuredClone(next) } : i.ReturnValues === 'ALL_OLD' && old ? { Attributes: structuredClone(old) } : {};
  }

  deleteItem(i: ExpressionInput & { TableName: string; Key: Item; ConditionExpression?: string }): Record<string, never> {
    const t = this.table(i.TableName);
    const k = this.keyOf(t, i.Key);
    this.check(i, t.items.get(k));
    t.items.delete(k);
    return {};
  }

  /** Query on the hash key, optionally `begins_with` or a comparison on the range key. */
  query(i: ExpressionInput & { TableName: string; KeyConditionExpression: string; ScanIndexForward?: boolean; Limit?: number }): { Items: Item[]; Count: number } {
    const t = this.table(i.TableName);
    const cond = parseCondition(i.KeyConditionExpression, i);
    let items = [...t.items.values()].filter((item) => evaluate(cond, item));
    items.sort((a, b) => compareKeys(a[t.range ?? t.hash], b[t.range ?? t.hash]));
    if (i.ScanIndexForward === false) items.reverse();
    if (i.Limit) items = items.slice(0, i.Limit);
    return { Items: items.map((x) => structuredClone(x)), Count: items.length };
  }

  private check(i: ExpressionInput & { ConditionExpression?: string; ReturnValuesOnConditionCheckFailure?: string }, old: Item | undefined): void {
    if (!i.ConditionExpression) return;
    const ok = evaluate(parseCondition(i.ConditionExpression, i), old ?? {});
    if (!ok) {
      this.stats.conditionFailures++;
      const extra = i.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && old ? { Item: structuredClone(old) } : {};
      throw Object.assign(new SimAwsError('ConditionalCheckFailedException', 'The conditional request failed'), { extra });
    }
    this.stats.conditionalWrites++;
  }
}

function pick(item: Item, names: string[]): Item {
  return Object.fromEntries(names.filter((n) => item[n]).map((n) => [n, item[n]]));
}

function checkSize(item: Item): void {
  if (Buffer.byteLength(JSON.stringify(item)) > MAX_ITEM_BYTES) throw new SimAwsError('ValidationException', 'Item size has exceeded the maximum allowed size');
}

function compareKeys(a: AV | undefined, b: AV | undefined): number {
  if (a?.N !== undefined && b?.N !== undefined) return Number(a.N) - Number(b.N);
  const x = a?.S ?? '';
  const y = b?.S ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

// ---- the expression language (the subset greenlight writes) ----

type Operand = { path: string } | { value: AV };
type Cond =
  | { op: 'and' | 'or'; left: Cond; right: Cond }
  | { op: 'not'; inner: Cond }
  | { op: 'exists' | 'not_exists'; path: string }
  | { op: 'begins_with'; path: string; prefix: Operand }
  | { op: 'cmp'; cmp: string; left: Operand; right: Operand };

function tokenize(s: string): string[] {
  const out = s.match(/\s*(<>|<=|>=|[=<>(),+-]|[#:]?[A-Za-z_][A-Za-z0-9_.]*)/g);
  const joined = (out ?? []).join('');
  if (joined.replace(/\s/g, '') !== s.replace(/\s/g, '')) throw new SimAwsError('ValidationException', `Invalid expression: unsupported syntax in "${s}"`);
  return (out ?? []).map((t) => t.trim());
}

class Parser {
  private k = 0;
  constructor(
    private readonly tokens: string[],
    private readonly names: Record<string, string>,
    private readonly values: Item,
  ) {}
  peek(): string | undefined {
    return this.tokens[this.k];
  }
  next(): string {
    const t = this.tokens[this.k++];
    if (t === undefined) throw new SimAwsError('ValidationException', 'Invalid expression: unexpected end of input');
    return t;
  }
  expect(t: string): void {
    const got = this.next();
    if (got !== t) throw new SimAwsError('ValidationException', `Invalid expression: expected "${t}", got "${got}"`);
  }
  done(): boolean {
    return this.k >= this.tokens.length;
  }
  path(): string {
    const t = this.next();
    if (t.startsWith('#')) {
      const n = this.names[t];
      if (n === undefined) throw new SimAwsError('ValidationException', `Value provided in ExpressionAttributeNames unused in expressions or undefined: ${t}`);
      return n;
    }
    if (t.startsWith(':') || !/^[A-Za-z_]/.test(t)) throw new SimAwsError('ValidationException', `Invalid expression: expected an attribute name, got "${t}"`);
    return t;
  }
  operand(): Operand {
    const t = this.peek();
    if (t?.startsWith(':')) {
      this.next();
      const v = this.values[t];
      if (!v) throw new SimAwsError('ValidationException', `An expression attribute value used in expression is not defined; attribute value: ${t}`);
      return { value: v };
    }
    return { path: this.path() };
  }
  or(): Cond {
    let left = this.and();
    while (this.peek()?.toUpperCase() === 'OR') {
      this.next();
      left = { op: 'or', left, right: this.and() };
    }
    return left;
  }
  and(): Cond {
    let left = this.unary();
    while (this.peek()?.toUpperCase() === 'AND') {
      this.next();
      left = { op: 'and', left, right: this.unary() };
    }
    return left;
  }
  unary(): Cond {
    const t = this.peek();
    if (t?.toUpperCase() === 'NOT') {
      this.next();
      return { op: 'not', inner: this.unary() };
    }
    if (t === '(') {
      this.next();
      const c = this.or();
      this.expect(')');
      return c;
    }
    if (t === 'attribute_exists' || t === 'attribute_not_exists') {
      this.next();
      this.expect('(');
      const path = this.path();
      this.expect(')');
      return { op: t === 'attribute_exists' ? 'exists' : 'not_exists', path };
    }
    if (t === 'begins_with') {
      this.next();
      this.expect('(');
      const path = this.path();
      this.expect(',');
      const prefix = this.operand();
      this.expect(')');
      return { op: 'begins_with', path, prefix };
    }
    const left = this.operand();
    const cmp = this.next();
    if (!['=', '<>', '<', '<=', '>', '>='].includes(cmp)) throw new SimAwsError('ValidationException', `Invalid expression: unsupported comparator "${cmp}"`);
    return { op: 'cmp', cmp, left, right: this.operand() };
  }
}

export function parseCondition(expr: string, i: ExpressionInput): Cond {
  const p = new Parser(tokenize(expr), i.ExpressionAttributeNames ?? {}, i.ExpressionAttributeValues ?? {});
  const c = p.or();
  if (!p.done()) throw new SimAwsError('ValidationException', `Invalid expression: unexpected "${p.peek()}"`);
  return c;
}

function resolve(o: Operand, item: Item): AV | undefined {
  return 'value' in o ? o.value : item[o.path];
}

function evaluate(c: Cond, item: Item): boolean {
  switch (c.op) {
    case 'and':
      return evaluate(c.left, item) && evaluate(c.right, item);
    case 'or':
      return evaluate(c.left, item) || evaluate(c.right, item);
    case 'not':
      return !evaluate(c.inner, item);
    case 'exists':
      return item[c.path] !== undefined;
    case 'not_exists':
      return item[c.path] === undefined;
    case 'begins_with': {
      const v = item[c.path]?.S;
      const prefix = resolve(c.prefix, item)?.S;
      return v !== undefined && prefix !== undefined && v.startsWith(prefix);
    }
    case 'cmp': {
      const a = resolve(c.left, item);
      const b = resolve(c.right, item);
      // A comparison with a missing attribute is false (including <>).
      if (!a || !b) return false;
      if (a.N !== undefined && b.N !== undefined) return compare(Number(a.N), Number(b.N), c.cmp);
      if (a.S !== undefined && b.S !== undefined) return compare(a.S, b.S, c.cmp);
      if (c.cmp === '=' || c.cmp === '<>') return (JSON.stringify(a) === JSON.stringify(b)) === (c.cmp === '=');
      return false;
    }
  }
}

function compare<T extends string | number>(a: T, b: T, cmp: string): boolean {
  switch (cmp) {
    case '=':
      return a === b;
    case '<>':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

/** SET a = :v, b = if_not_exists(b, :w), c = c + :n  REMOVE d, e */
function applyUpdate(expr: string, item: Item, i: ExpressionInput): void {
  const p = new Parser(tokenize(expr), i.ExpressionAttributeNames ?? {}, i.ExpressionAttributeValues ?? {});
  const evalValue = (): AV | undefined => {
    let v: AV | undefined;
    if (p.peek() === 'if_not_exists') {
      p.next();
      p.expect('(');
      const path = p.path();
      p.expect(',');
      const dflt = p.operand();
      p.expect(')');
      v = item[path] ?? resolve(dflt, item);
    } else v = resolve(p.operand(), item);
    const op = p.peek();
    if (op === '+' || op === '-') {
      p.next();
      const r = resolve(p.operand(), item);
      if (v?.N === undefined || r?.N === undefined) throw new SimAwsError('ValidationException', 'An operand in the update expression has an incorrect data type');
      v = { N: String(Number(v.N) + (op === '+' ? 1 : -1) * Number(r.N)) };
    }
    return v;
  };
  while (!p.done()) {
    const clause = p.next().toUpperCase();
    if (clause !== 'SET' && clause !== 'REMOVE') throw new SimAwsError('ValidationException', `Invalid UpdateExpression: unsupported clause "${clause}"`);
    do {
      if (p.peek() === ',') p.next();
      const path = p.path();
      if (clause === 'REMOVE') delete item[path];
      else {
        p.expect('=');
        const v = evalValue();
        if (!v) throw new SimAwsError('ValidationException', 'The provided expression refers to an attribute that does not exist in the item');
        item[path] = structuredClone(v);
      }
    } while (p.peek() === ',');
  }
}
