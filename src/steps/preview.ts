import { createHostRule, deleteRule, listenerRules, writeRoute } from '../aws/elbv2.js';
import { type RoutedAppConfig, stackTags } from '../core/config.js';
import { forwardWeights } from '../core/route.js';
import type { Deps } from './deps.js';

// Preview URLs: a host-header rule <version>.<domain> per version on the production listener,
// created and removed only by greenlight (tagged greenlight:preview). Every call converges.

/** "1.4.2" → "1-4-2.preview.example.com": one DNS label, so a wildcard record covers it. */
export function previewHost(version: string, domain: string): string {
  return `${version.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'v'}.${domain}`;
}

/** The preview rule of `version` forwards to `targetGroupArn` (created, or re-pointed). */
export async function ensurePreview(deps: Deps, app: RoutedAppConfig, name: string, version: string | null, targetGroupArn: string): Promise<string | null> {
  if (!app.preview || !version) return null;
  const host = previewHost(version, app.preview.domain);
  const { elbv2 } = deps.clients;
  const rules = await listenerRules(elbv2, app.listenerArn);
  const mine = rules.find((r) => r.hosts.length === 1 && r.hosts[0] === host);
  if (mine) {
    const w = forwardWeights(mine.actions);
    if (w.size !== 1 || !w.has(targetGroupArn)) await writeRoute(elbv2, { listenerArn: app.listenerArn, ruleArn: mine.arn }, [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroupArn, Weight: 1 }] } }]);
    return host;
  }
  const used = new Set(rules.map((r) => r.priority));
  const from = app.preview.priorityFrom;
  let priority = from;
  while (used.has(priority) && priority < from + 100) priority++;
  if (used.has(priority)) throw new Error(`no free listener rule priority in ${from}-${from + 99} for the preview of ${name} ${version}`);
  await createHostRule(elbv2, app.listenerArn, priority, host, targetGroupArn, { ...stackTags(deps.config), 'greenlight:app': name, 'greenlight:preview': version });
  return host;
}

/** The preview rule of `version` is gone (its colour was retired or rolled back). */
export async function removePreview(deps: Deps, app: RoutedAppConfig, version: string | null): Promise<string | null> {
  if (!app.preview || !version) return null;
  const host = previewHost(version, app.preview.domain);
  const rule = (await listenerRules(deps.clients.elbv2, app.listenerArn)).find((r) => r.hosts.length === 1 && r.hosts[0] === host);
  if (rule) await deleteRule(deps.clients.elbv2, rule.arn);
  return rule ? host : null;
}
