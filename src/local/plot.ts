import type { SimulationResult } from './simulate.js';

// `greenlight simulate <scenario> --plot out.svg`: three panels over virtual time, one SVG file
// with no scripts or external references: production traffic share per version, capacity per
// colour (desired, and healthy targets), and failed requests per second.

const W = 960;
const PANEL = 170;
const LEFT = 70;
const RIGHT = 150;
const TOP = 64;
const GAP = 50;
const PALETTE = ['#2f6db3', '#2e9e5b', '#d98a1c', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d'];
const COLOUR = { blue: '#2f6db3', green: '#2e9e5b' } as const;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f = (n: number) => (Math.round(n * 10) / 10).toString();

export function renderPlot(r: SimulationResult): string {
  const s = r.summary;
  const seconds = r.traffic.seconds.get(s.app) ?? [];
  const end = Math.max(1, s.virtualSeconds, ...seconds.map((x) => x.t));
  const plotW = W - LEFT - RIGHT;
  const x = (t: number) => LEFT + (t / end) * plotW;
  const out: string[] = [];
  const height = TOP + 3 * PANEL + 2 * GAP + 40;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${esc(`greenlight simulate ${s.scenario}: ${s.outcome}`)}</title>`);
  out.push(`<rect width="${W}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(`${s.scenario}: ${s.app} ${s.version ?? ''} — ${s.outcome}`)}</text>`);

  const panel = (k: number, title: string, yMax: number, unit: string) => {
    const top = TOP + k * (PANEL + GAP);
    const y = (v: number) => top + PANEL - (v / (yMax || 1)) * PANEL;
    out.push(`<text x="${LEFT}" y="${top - 8}" font-weight="bold">${esc(title)}</text>`);
    out.push(`<rect x="${LEFT}" y="${top}" width="${plotW}" height="${PANEL}" fill="none" stroke="#999"/>`);
    for (const frac of [0, 0.5, 1]) {
      const v = yMax * frac;
      out.push(`<text x="${LEFT - 6}" y="${f(y(v) + 4)}" text-anchor="end" fill="#555">${esc(`${Math.round(v * 10) / 10}${unit}`)}</text>`);
    }
    const step = niceStep(end);
    for (let t = 0; t <= end; t += step) {
      out.push(`<line x1="${f(x(t))}" y1="${top + PANEL}" x2="${f(x(t))}" y2="${top + PANEL + 4}" stroke="#999"/>`);
      out.push(`<text x="${f(x(t))}" y="${top + PANEL + 16}" text-anchor="middle" fill="#555">${Math.round(t)}s</text>`);
    }
    return y;
  };

  // 1. Traffic share per version (stacked, percent of the second's requests).
  const versions = [...new Set(seconds.flatMap((sec) => Object.keys(sec.versions)))].sort();
  const buckets = bucketed(seconds, 600);
  const y1 = panel(0, 'Production traffic share per version', 100, '%');
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
    out.push(legend(0, i, PALETTE[i % PALETTE.length], v));
  });

  // 2. Capacity per colour: desired (dashed) and healthy targets (solid).
  const cap = r.capacity;
  const capMax = Math.max(1, ...cap.flatMap((c) => Object.values(c.colours).flatMap((v) => [v.desired, v.healthy])));
  const y2 = panel(1, 'Capacity per colour (solid: healthy targets, dashed: desired)', capMax, '');
  (['blue', 'green'] as const).forEach((c, i) => {
    const pts = (key: 'desired' | 'healthy') => cap.map((p) => `${f(x(p.t))},${f(y2(p.colours[c]?.[key] ?? 0))}`).join(' ');
    if (cap.length) {
      out.push(`<polyline points="${pts('healthy')}" fill="none" stroke="${COLOUR[c]}" stroke-width="2"/>`);
      out.push(`<polyline points="${pts('desired')}" fill="none" stroke="${COLOUR[c]}" stroke-width="1.5" stroke-dasharray="5,4"/>`);
    }
    out.push(legend(1, i, COLOUR[c], c));
  });

  // 3. Failed requests per second.
  const failMax = Math.max(1, ...seconds.map((sec) => sec.failed));
  const y3 = panel(2, `Failed requests per second (total ${s.failedRequests} of ${s.requests})`, failMax, '');
  for (const sec of seconds)
    if (sec.failed > 0) out.push(`<rect x="${f(x(sec.t))}" y="${f(y3(sec.failed))}" width="${f(Math.max(1, plotW / end))}" height="${f(y3(0) - y3(sec.failed))}" fill="#c0392b"/>`);
  out.push(`<text x="${LEFT}" y="${height - 12}" fill="#555">${esc(`virtual seconds; time to live ${s.timeToLiveSeconds ?? 'n/a'} s (physical limit ${s.greenReadyBoundSeconds} s)`)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function legend(panelIndex: number, i: number, colour: string, label: string): string {
  const top = TOP + panelIndex * (PANEL + GAP) + 10 + i * 18;
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
