import type { Deps } from './deps.js';

export interface HttpCheck {
  path: string;
  expectedStatus: number;
  bodyContains?: string;
  retries: number;
}

/**
 * One HTTP check, tried up to 1 + retries times back to back (each GET has its own 3 s timeout;
 * nothing sleeps). Null when it passed, else what the last answer was.
 */
export async function checkUrl(deps: Deps, base: string, check: HttpCheck): Promise<string | null> {
  let last = '';
  for (let attempt = 0; attempt <= check.retries; attempt++) {
    const res = await deps.http(`${base}${check.path}`);
    if (res.status === check.expectedStatus && (!check.bodyContains || res.body.includes(check.bodyContains))) return null;
    last = res.status === 0 ? 'no answer' : `status ${res.status}${check.bodyContains && !res.body.includes(check.bodyContains) ? `, body without "${check.bodyContains}"` : ''}`;
  }
  const host = new URL(base).hostname;
  const unreachable = last === 'no answer' && isPrivateAddress(host) && !deps.config.vpc;
  const hint = unreachable ? `; greenlight's functions run outside your VPC and cannot reach ${host}: set vpc: (subnetIds, securityGroupIds) in greenlight.config.yml and redeploy` : '';
  return `GET ${base}${check.path} → ${last} (expected ${check.expectedStatus}${check.bodyContains ? ` and "${check.bodyContains}"` : ''}, ${check.retries + 1} tries)${hint}`;
}

/** One real HTTP GET (Lambda, and the CLI against AWS): 3 s timeout, no redirects, 64 KiB of body; status 0 when nothing answered. */
export async function httpGet(url: string): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000), redirect: 'manual' });
    return { status: res.status, body: (await res.text()).slice(0, 64 * 1024) };
  } catch {
    return { status: 0, body: '' };
  }
}

/** RFC 1918 addresses (and link-local): reachable only from inside a VPC. */
export function isPrivateAddress(host: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(host);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
}
