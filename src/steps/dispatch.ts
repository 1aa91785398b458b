import { findObject, putObject } from '../aws/s3.js';
import { startExecution } from '../aws/sfn.js';
import { sha256Base64, VERSION } from '../core/artifact.js';
import { executionNameFor } from '../core/release.js';
import type { Deps } from './deps.js';

// EventBridge → releases.
// - S3 "Object Created": one release execution per upload, named after the upload so that a
//   second delivery of the same event cannot start a second release. The event itself is
//   validated by the state machine's Resolve step, where a rejection is visible to operators.
// - ECR "Image Action" (push): for each ecs app that opts in with `ecr:`, write the same manifest
//   an operator would upload (the image pinned by digest); its upload then releases as above.

interface EventLike {
  id?: string;
  source?: string;
  account?: string;
  region?: string;
  detail?: Record<string, unknown> & { bucket?: { name?: unknown }; object?: { key?: unknown; 'version-id'?: unknown; sequencer?: unknown } };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export async function dispatch(deps: Deps, event: EventLike) {
  if (event?.source === 'aws.ecr') return fromEcrPush(deps, event);
  const o = event?.detail?.object;
  const name = executionNameFor({
    bucket: str(event?.detail?.bucket?.name) ?? '',
    key: str(o?.key) ?? `event-${str(event?.id) ?? 'unknown'}`,
    versionId: str(o?.['version-id']),
    sequencer: str(o?.sequencer),
  });
  const res = await startExecution(deps.clients.sfn, deps.env.releaseStateMachineArn, name, event);
  deps.logger.info(res.started ? 'release execution started' : 'duplicate delivery ignored', { executionName: name });
  return { executionName: name, ...res };
}

async function fromEcrPush(deps: Deps, event: EventLike) {
  const d = event.detail ?? {};
  const repo = str(d['repository-name']);
  const tag = str(d['image-tag']);
  const digest = str(d['image-digest']);
  if (d['action-type'] !== 'PUSH' || d.result !== 'SUCCESS' || !repo || !tag || !digest || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    deps.logger.info('ECR event ignored: not a successful tagged push', { repository: repo, tag });
    return { ecr: [], ignored: 'not a successful tagged push' };
  }
  const image = `${event.account}.dkr.ecr.${event.region}.amazonaws.com/${repo}@${digest}`;
  const results: { app: string; key?: string; ignored?: string }[] = [];
  for (const [app, cfg] of Object.entries(deps.config.apps)) {
    if (!('ecr' in cfg) || cfg.ecr?.repository !== repo) continue;
    if (!new RegExp(cfg.ecr.tagPattern).test(tag) || !VERSION.test(tag)) {
      results.push({ app, ignored: `tag ${tag} does not match ${cfg.ecr.tagPattern}` });
      continue;
    }
    const key = `releases/${app}/${tag}.json`;
    const body = JSON.stringify({ version: tag, images: { [cfg.ecr.container]: image }, description: `ECR push ${repo}:${tag}` });
    // Converge: a repeated event (or a re-run) finds the same manifest already there.
    const existing = await findObject(deps.clients.s3, deps.env.artifactBucket, key);
    if (existing?.sha256 === sha256Base64(body)) {
      results.push({ app, key, ignored: 'manifest already uploaded' });
      continue;
    }
    await putObject(deps.clients.s3, deps.env.artifactBucket, key, body, 'application/json');
    deps.logger.info('manifest written for ECR push', { app, key, image });
    results.push({ app, key });
  }
  return { ecr: results };
}
