import type { SimulationResult } from './simulate.js';

// `greenlight simulate <scenario> --plot out.svg`: three panels over virtual time, one SVG file
// with no scripts or external references: production traffic share per version, capacity per
// colour (desired, and healthy targets), and failed requests per second; the release's events
// (a release starting, green ready, each route write, alarms, a rollback) as markers across all
// three. Versions have their own colours, never the colours' blue and green.

const W = 960;
const PANEL = 170;
const LEFT = 70;
const RIGHT = 150;
const TOP = 90;
const GAP = 50;
/** Versions: hues apart from the colours' own blue and green (a version is not a colour). */
const PALETTE = ['#7f8c8d', '#d98a1c', '#8e44ad', '#c2185b', '#16a085', '#795548', '#34495e'];
/** Height of the failed-requests panel when nothing failed: a line saying so, not a third of the plot. */
const EMPTY_PANEL = 36;
const COLOUR = { blue: '#2f6db3', green: '#2e9e5b' } as const;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f = (n: number) => (Math.round(n * 10) / 10).toString();

export interface Marker {
  t: number;
  label: string;
  kind: 'release' | 'ready' | 'route' | 'alarm' | 'rollback';
}

const MARK = { release: '#555555', ready: '#2e7d32', route: '#1565c0', alarm: '#c0392b', rollback: '#c0392b' } as const;

/** The release's events, from the run's structured records (executions, calls, alarm changes). */
export function markers(r: SimulationResult): Marker[] {
  const out: Marker[] = [];
  for (const e of r.executions) {
    // A hand-typed input names its action (rollback, retire); an upload's execution its version.
    const typed = parseInput(e.input);
    const release = typed?.action && typed.app ? `${typed.app} ${typed.action}` : typed?.version && typed.app ? `${typed.app}-${typed.version}` : e.name.replace(/-[0-9a-f]{16}$/, '').replace(/_/g, '.');
    if (e.statesEntered.some((st) => st.name === 'PrepareGreen')) out.push({ t: e.startedAt, label: `${release} started`, kind: 'release' });
    const ready = e.statesEntered.find((st) => st.name === 'StartShift');
    if (ready) out.push({ t: ready.t, label: 'green ready', kind: 'ready' });
    const rollback = e.statesEntered.find((st) => st.name === 'Rollback');
    if (rollback) out.push({ t: rollback.t, label: 'rollback', kind: 'rollback' });
  }
  for (const c of r.calls) {
    if ((c.command === 'ModifyListener' || c.command === 'ModifyRule') && !c.error && ['switchTraffic', 'rollback', 'guard'].includes(c.caller))
      out.push({ t: c.end ?? c.t, label: c.caller === 'switchTraffic' ? 'route write' : c.caller === 'guard' ? 'guard flip' : 'route back', kind: c.caller === 'switchTraffic' ? 'route' : 'rollback' });
    // eip: the Elastic IP moving is the switch.
    if (c.command === 'AssociateAddress' && !c.error) out.push({ t: c.end ?? c.t, label: c.caller === 'rollback' ? 'address back' : 'address moved', kind: c.caller === 'rollback' ? 'rollback' : 'route' });
  }
  for (const a of r.world.ec2.alarmChanges) if (a.state === 'ALARM' || a.state === 'OK') out.push({ t: a.t, label: `${a.name} ${a.state}`, kind: 'alarm' });
  return out.sort((a, b) => a.t - b.t);
}

function parseInput(input: string): { app?: string; action?: string; version?: string } | null {
  try {
    const v = JSON.parse(input) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as { app?: string; action?: string; version?: string }) : null;
  } catch {
    return null;
  }
}

/** Long: one SVG drawn top to bottom (title, three panels, markers, footer); the panels' own drawing is in capacityPanel and serverLanes. */
export function renderPlot(r: SimulationResult): string {
  const s = r.summary;
  const seconds = r.traffic.seconds.get(s.app) ?? [];
  const end = Math.max(1, s.virtualSeconds, ...seconds.map((x) => x.t));
  const plotW = W - LEFT - RIGHT;
  const x = (t: number) => LEFT + (t / end) * plotW;
  const failMax = Math.max(0, ...seconds.map((sec) => sec.failed));
  const heights = [PANEL, PANEL, failMax > 0 ? PANEL : EMPTY_PANEL];
  const tops = [TOP, TOP + PANEL + GAP, TOP + 2 * (PANEL + GAP)];
  const out: string[] = [];
  const height = tops[2] + heights[2] + 70;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${esc(`greenlight simulate ${s.scenario}: ${s.outcome}`)}</title>`);
  out.push(`<rect width="${W}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(`${s.scenario}: ${s.app} ${s.version ?? ''} — ${s.outcome}`)}</text>`);

  const panel = (k: number, title: string, yMax: number, unit: string, axis: string) => {
    const top = tops[k];
    const h = heights[k];
    const y = (v: number) => top + h - (v / (yMax || 1)) * h;
    out.push(`<text x="${LEFT}" y="${top - 8}" font-weight="bold">${esc(title)}</text>`);
    out.push(`<rect x="${LEFT}" y="${top}" width="${plotW}" height="${h}" fill="none" stroke="#999"/>`);
    // The y axis's title, with its unit, along the axis.
    out.push(`<text transform="translate(${LEFT - 50},${f(top + h / 2)}) rotate(-90)" text-anchor="middle" fill="#555">${esc(axis)}</text>`);
    if (h === PANEL)
      for (const frac of [0, 0.5, 1]) {
        const v = yMax * frac;
        out.push(`<text x="${LEFT - 6}" y="${f(y(v) + 4)}" text-anchor="end" fill="#555">${esc(`${Math.round(v * 10) / 10}${unit}`)}</text>`);
      }
    const step = niceStep(end);
    for (let t = 0; t <= end; t += step) {
      out.push(`<line x1="${f(x(t))}" y1="${top + h}" x2="${f(x(t))}" y2="${top + h + 4}" stroke="#999"/>`);
      out.push(`<text x="${f(x(t))}" y="${top + h + 16}" text-anchor="middle" fill="#555">${Math.round(t)}s</text>`);
    }
    return y;
  };

  // 1. Traffic share per version (stacked, percent of the second's requests).
  const versions = [...new Set(seconds.flatMap((sec) => Object.keys(sec.versions)))].sort();
  const buckets = bucketed(seconds, 600);
  const y1 = panel(0, 'Production traffic share per version', 100, '%', 'share of requests (%)');
  const base = buckets.map(() => 0);
  versions.forEach((v, i) => {
    const upper = buckets.map((b, j) => base[j] + (b.total ? (100 * (b.versions[v] ?? 0)) / b.total : 0));
    if (buckets.length) {
      const pts = [...buckets.map((b, j) => `${f(x(b.t))},${f(y1(upper[j]))}`), ...buckets.map((b, j) => `${f(x(b.t))},${f(y1(base[j]))}`).reverse()];
      out.push(`<polygon points="${pts.join(' ')}" fill="${PALETTE[i % PALETTE.length]}" fill-opacity="0.75" stroke="none"><title>${esc(v)}</title></polygon>`);
    }
    upper.forEach((u, j) => {
      base[j] = u;
    });
    out.push(legend(tops[0], i, PALETTE[i % PALETTE.length], `version ${v}`));
  });

  const cap = r.capacity;
  if (cap.some((p) => p.servers)) serverLanes(out, cap, x, panel, versions, end);
  else capacityPanel(out, cap, x, panel, tops[1]);


  // 3. Failed requests per second: sized to its data (a line when nothing failed).
  if (failMax > 0) {
    const y3 = panel(2, `Failed requests per second (total ${s.failedRequests} of ${s.requests})`, failMax, '', 'requests per second');
    for (const sec of seconds)
      if (sec.failed > 0) out.push(`<rect x="${f(x(sec.t))}" y="${f(y3(sec.failed))}" width="${f(Math.max(1, plotW / end))}" height="${f(y3(0) - y3(sec.failed))}" fill="#c0392b"/>`);
  } else {
    panel(2, 'Failed requests per second', 1, '', '');
    out.push(`<text x="${LEFT + 10}" y="${tops[2] + EMPTY_PANEL / 2 + 4}" fill="#2e7d32">${esc(`none: all ${s.requests} requests answered`)}</text>`);
  }

  // The events, across the three panels, labelled at the top (staggered so that neighbours stay legible).
  const marks = markers(r);
  const bottom = tops[2] + heights[2];
  marks.forEach((m, i) => {
    const mx = f(x(m.t));
    out.push(`<line x1="${mx}" y1="${TOP - 22}" x2="${mx}" y2="${bottom}" stroke="${MARK[m.kind]}" stroke-width="1" stroke-dasharray="2,3" class="marker"><title>${esc(`${Math.round(m.t * 10) / 10} s: ${m.label}`)}</title></line>`);
    out.push(`<text x="${mx}" y="${TOP - 26 - (i % 2) * 12}" font-size="10" text-anchor="middle" fill="${MARK[m.kind]}" class="marker-label">${esc(m.label)}</text>`);
  });
  out.push(`<text x="${f(LEFT + plotW / 2)}" y="${bottom + 36}" text-anchor="middle" fill="#555">virtual time (s)</text>`);
  out.push(`<text x="${LEFT}" y="${height - 12}" fill="#555">${esc(`time to live ${s.timeToLiveSeconds ?? 'n/a'} s (physical limit ${s.greenReadyBoundSeconds} s)`)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

type Panel = (k: number, title: string, yMax: number, unit: string, axis: string) => (v: number) => number;
type Cap = SimulationResult['capacity'];

/** 2. Capacity per colour: desired (dashed) and healthy targets (solid). */
function capacityPanel(out: string[], cap: Cap, x: (t: number) => number, panel: Panel, top: number) {
  const capMax = Math.max(1, ...cap.flatMap((c) => Object.values(c.colours).flatMap((v) => [v.desired, v.healthy])));
  const y = panel(1, 'Capacity per colour (solid: healthy targets, dashed: desired)', capMax, '', 'instances or tasks');
  (['blue', 'green'] as const).forEach((c, i) => {
    const pts = (key: 'desired' | 'healthy') => cap.map((p) => `${f(x(p.t))},${f(y(p.colours[c]?.[key] ?? 0))}`).join(' ');
    if (cap.length) {
      out.push(`<polyline points="${pts('healthy')}" fill="none" stroke="${COLOUR[c]}" stroke-width="2"/>`);
      out.push(`<polyline points="${pts('desired')}" fill="none" stroke="${COLOUR[c]}" stroke-width="1.5" stroke-dasharray="5,4"/>`);
    }
    out.push(legend(top, i, COLOUR[c], `${c} colour`));
  });
}

/** The opacity of a server's bar by its state: faint while it boots, full while it answers. */
const STATE_OPACITY: Record<string, number> = { pending: 0.25, running: 0.5, serving: 0.9, stopping: 0.15, stopped: 0.1, 'shutting-down': 0.1, terminated: 0 };

/**
 * 2 (eip). One lane per server: its EC2 state over time in its version's colour (faint while
 * pending, half while running but not answering, full while it answers), and a black bar
 * where it holds the Elastic IP.
 */
function serverLanes(out: string[], cap: Cap, x: (t: number) => number, panel: Panel, versions: string[], end: number) {
  const ids = [...new Set(cap.flatMap((p) => (p.servers ?? []).map((sv) => sv.id)))];
  const y = panel(1, 'Servers (bar: EC2 state, darker when it answers; black: holds the Elastic IP)', Math.max(1, ids.length), '', 'servers');
  const lane = (k: number) => y(ids.length - k) + 4;
  const h = (y(0) - y(1)) - 8;
  const spans = new Map<string, { t0: number; t1: number; state: string; version: string | null; holds: boolean }[]>();
  cap.forEach((p, j) => {
    const t1 = cap[j + 1]?.t ?? end;
    for (const sv of p.servers ?? []) {
      const state = sv.state === 'running' && sv.serving ? 'serving' : sv.state;
      const list = spans.get(sv.id) ?? [];
      const last = list.at(-1);
      if (last && last.state === state && last.holds === sv.holdsAddress && last.t1 === p.t) last.t1 = t1;
      else list.push({ t0: p.t, t1, state, version: sv.version, holds: sv.holdsAddress });
      spans.set(sv.id, list);
    }
  });
  ids.forEach((id, k) => {
    const list = spans.get(id) ?? [];
    const version = list.find((sp) => sp.version)?.version ?? null;
    const colour = version && versions.includes(version) ? PALETTE[versions.indexOf(version) % PALETTE.length] : '#999999';
    out.push(`<text x="${W - RIGHT + 14}" y="${f(lane(k) + h / 2 + 4)}" font-size="10">${esc(`${id.slice(0, 12)} ${version ?? ''}`)}</text>`);
    for (const sp of list) {
      const w = Math.max(1, x(sp.t1) - x(sp.t0));
      const label = `${id} ${version ?? ''}: ${sp.state}${sp.holds ? ', holds the Elastic IP' : ''} (${Math.round(sp.t0)}-${Math.round(sp.t1)} s)`;
      out.push(`<rect x="${f(x(sp.t0))}" y="${f(lane(k))}" width="${f(w)}" height="${f(h)}" fill="${colour}" fill-opacity="${STATE_OPACITY[sp.state] ?? 0.3}" class="server-state" data-state="${sp.state}"><title>${esc(label)}</title></rect>`);
      if (sp.holds) out.push(`<rect x="${f(x(sp.t0))}" y="${f(lane(k))}" width="${f(w)}" height="4" fill="#111111" class="server-address"/>`);
    }
  });
}

function legend(panelTop: number, i: number, colour: string, label: string): string {
  const top = panelTop + 10 + i * 18;
  const lx = W - RIGHT + 14;
  return `<rect x="${lx}" y="${top}" width="12" height="12" fill="${colour}"/><text x="${lx + 18}" y="${top + 10}">${esc(label)}</text>`;
}

function niceStep(end: number): number {
  for (const s of [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600]) if (end / s <= 10) return s;
  return 86400;
}

/** At most `n` points: seconds summed into equal buckets. */
function bucketed<T extends { t: number; total: number; versions: Record<string, number> }>(seconds: T[], n: number) {
  const size = Math.max(1, Math.ceil(seconds.length / n));
  const out: { t: number; total: number; versions: Record<string, number> }[] = [];
  for (let k = 0; k < seconds.length; k += size) {
    const chunk = seconds.slice(k, k + size);
    const versions: Record<string, number> = {};
    for (const c of chunk) for (const [v, m] of Object.entries(c.versions)) versions[v] = (versions[v] ?? 0) + m;
    out.push({ t: chunk[0].t, total: chunk.reduce((a, c) => a + c.total, 0), versions });
  }
  return out;
}
