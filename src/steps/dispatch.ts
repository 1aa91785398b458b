import { startExecution } from '../aws/sfn.js';
import { executionNameFor } from '../core/release.js';
import type { Deps } from './deps.js';
import { logger } from './lambda.js';

// EventBridge "Object Created" → one release execution per upload, named after the upload so
// that a second delivery of the same event cannot start a second release. The event itself is
// validated by the state machine's Resolve step, where a rejection is visible to operators.

interface S3EventLike {
  id?: string;
  detail?: { bucket?: { name?: unknown }; object?: { key?: unknown; 'version-id'?: unknown; sequencer?: unknown } };
}

export async function dispatch(deps: Deps, event: S3EventLike) {
  const o = event?.detail?.object;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const name = executionNameFor({
    bucket: str(event?.detail?.bucket?.name) ?? '',
    key: str(o?.key) ?? `event-${str(event?.id) ?? 'unknown'}`,
    versionId: str(o?.['version-id']),
    sequencer: str(o?.sequencer),
  });
  const res = await startExecution(deps.clients.sfn, deps.env.releaseStateMachineArn, name, event);
  logger.info(res.started ? 'release execution started' : 'duplicate delivery ignored', { executionName: name });
  return { executionName: name, ...res };
}
