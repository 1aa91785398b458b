import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Account } from './account.js';

// greenlight dashboard: a page on 127.0.0.1 with every app's live colour and version, traffic
// per colour, capacity and health, the running release's phase, its history and (in a simulator
// session) its timeline plot; promote / abort / rollback buttons, each confirmed. The page
// refreshes itself. Every request reads the account afresh through the same operations as the
// CLI (`withTarget` runs one against AWS or a session), so the page shows what `status` shows.

export type Action = 'promote' | 'abort' | 'rollback';
type Ops = typeof import('./commands/index.js');
type Result = Awaited<ReturnType<Ops['status']>>;

export interface DashboardTarget {
  /** What the page says it shows ("AWS account ..., region ..." or "simulator session ..."). */
  label: string;
  /** Run `fn` against the target; `change` names a change to keep (a session appends it to its log). */
  withTarget<T>(fn: (a: Account) => Promise<T>, change?: string[]): Promise<T>;
  /** A simulator session: after a change, follow the release to its end in virtual time. */
  sim: boolean;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export async function startDashboard(ops: Ops, target: DashboardTarget, port = 0): Promise<Dashboard> {
  // One request at a time: a session's replay and its log are not to be interleaved.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => {});
    return next;
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => send(res, 500, { error: `${err.name}: ${err.message}` }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/') return sendText(res, 200, 'text/html; charset=utf-8', PAGE);
    if (req.method === 'GET' && url.pathname === '/api/state') {
      const state = await serial(() =>
        target.withTarget(async (account) => {
          const status = (await ops.status(account)).json as { apps: Record<string, unknown>[] };
          const apps = [];
          for (const a of status.apps) {
            const h = (await ops.history(account, a.app as string, 5)).json as { releases: unknown[] };
            apps.push({ ...a, history: h.releases });
          }
          return { target: target.label, now: account.now().toISOString(), apps };
        }),
      );
      return send(res, 200, state);
    }
    if (req.method === 'GET' && url.pathname === '/api/plot') {
      if (!target.sim) return sendText(res, 404, 'text/plain', 'the timeline plot is drawn for simulator sessions');
      const svg = await serial(() =>
        target.withTarget(async (account) => {
          const { summarize } = await import('../local/simulate.js');
          const { renderPlot } = await import('../local/plot.js');
          return renderPlot(summarize(account.session!, false));
        }),
      );
      return sendText(res, 200, 'image/svg+xml', svg);
    }
    if (req.method === 'POST' && url.pathname === '/api/action') {
      const body = JSON.parse((await readBody(req)) || '{}') as { app?: string; action?: string };
      if (typeof body.app !== 'string' || !['promote', 'abort', 'rollback'].includes(body.action ?? ''))
        return send(res, 400, { error: 'body must be {"app":"<app>","action":"promote"|"abort"|"rollback"}' });
      const action = body.action as Action;
      const app = body.app;
      const result = await serial(() =>
        target.withTarget(async (account) => {
          ops.app(account, app);
          await account.beforeChange?.();
          const r = await run(ops, account, action, app, target.sim);
          return { code: r.code, text: r.text, json: r.json };
        }, [action, app]),
      );
      return send(res, result.code === 0 ? 200 : 409, result);
    }
    return send(res, 404, { error: `no ${req.method} ${url.pathname}` });
  }
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${bound}/`, close: () => new Promise((r) => server.close(() => r())) };
}

/** The button's command, as the CLI runs it; in a session, followed to its end (the page then shows how it ended). */
async function run(ops: Ops, account: Account, action: Action, app: string, sim: boolean): Promise<Result> {
  if (action === 'rollback') return ops.rollback(account, app, sim);
  if (action === 'abort') return ops.abort(account, app, sim);
  const r = await ops.promote(account, app);
  if (!sim || r.code !== 0) return r;
  const execution = (r.json as { promoted?: string }).promoted;
  return execution ? ops.follow(account, app, execution, r.text) : r;
}

function send(res: ServerResponse, status: number, body: unknown) {
  sendText(res, status, 'application/json', JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (d) => {
      s += d;
      if (s.length > 10_000) reject(new Error('request body too large'));
    });
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

// The page: no framework, no external resource; it fetches /api/state every few seconds.
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>greenlight</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px;margin:0 0 4px}
.target{color:#555;margin-bottom:16px}.app{border:1px solid #ccc;border-radius:6px;padding:12px 16px;margin:0 0 16px}
.app h2{font-size:16px;margin:0 0 8px}table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left}
.phase{margin:8px 0;font-weight:600}.buttons button{margin-right:8px}.hist{color:#444;font-size:13px}
.blue{color:#2f6db3}.green{color:#2e9e5b}.result{white-space:pre-wrap;font-family:monospace;font-size:12px;color:#333}
img.plot{max-width:100%;border:1px solid #eee;margin-top:8px}
</style></head><body>
<h1>greenlight</h1><div class="target" data-testid="target">loading...</div>
<div id="apps"></div>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
let busy = false;
async function refresh() {
  if (busy) return;
  const r = await fetch('/api/state');
  const s = await r.json();
  if (!r.ok) { document.querySelector('[data-testid=target]').textContent = s.error; return; }
  document.querySelector('[data-testid=target]').textContent = s.target + ' — ' + s.now;
  document.getElementById('apps').innerHTML = s.apps.map((a) => {
    const colours = a.colours.map((c) => '<tr data-testid="colour-' + esc(a.app) + '-' + esc(c.colour) + '"><th class="' + esc(c.colour) + '">' + esc(c.colour) + '</th><td data-testid="percent">' + esc(c.percent ?? '-') + '%</td><td data-testid="version">' + esc(c.version ?? '-') + '</td><td>' + esc(c.capacity) + '</td><td>' + esc(c.healthy) + '</td></tr>').join('');
    const hist = (a.history || []).map((h) => '<li>' + esc(h.startedAt) + ' ' + esc(h.action) + ' ' + esc(h.version) + ' <b>' + esc(h.outcome) + '</b></li>').join('');
    const live = a.live ? a.live.colour + ' ' + (a.live.version ?? '') : 'split';
    return '<div class="app" data-testid="app-' + esc(a.app) + '"><h2>' + esc(a.app) + ' (' + esc(a.kind) + ') — live: <span data-testid="live">' + esc(live) + '</span></h2>'
      + '<table>' + colours + '</table>'
      + '<div class="phase" data-testid="phase">' + esc(a.phase ?? 'no release running') + '</div>'
      + '<div class="buttons">' + ['promote', 'abort', 'rollback'].map((act) => '<button data-testid="' + act + '-' + esc(a.app) + '" onclick="act(\\'' + esc(a.app) + '\\',\\'' + act + '\\')">' + act + '</button>').join('') + '</div>'
      + '<div class="result" data-testid="result-' + esc(a.app) + '"></div>'
      + '<ul class="hist" data-testid="history">' + hist + '</ul>'
      + (s.target.startsWith('simulator') ? '<img class="plot" alt="timeline" src="/api/plot?app=' + encodeURIComponent(a.app) + '&t=' + Date.now() + '">' : '')
      + '</div>';
  }).join('');
}
async function act(app, action) {
  if (!confirm(action + ' ' + app + '?')) return;
  busy = true;
  const out = document.querySelector('[data-testid=result-' + app + ']');
  out.textContent = action + ' ' + app + '...';
  try {
    const r = await fetch('/api/action', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app, action }) });
    const j = await r.json();
    busy = false;
    await refresh();
    document.querySelector('[data-testid=result-' + app + ']').textContent = j.text || j.error || '';
  } finally { busy = false; }
}
refresh();
setInterval(refresh, 3000);
</script></body></html>
`;
