import * as SDK from '@aws-sdk/client-eventbridge';
import { SimAwsError } from '../errors.js';
import { hexId, type World } from '../world.js';
import { defineService } from './service.js';

// EventBridge, as the simulator answers it: the commands greenlight and its CLI call.

export const events = defineService({
  name: 'events',
  iamPrefix: 'events',
  sdk: SDK,
  baseException: 'EventBridgeServiceException',
  faults: { throttle: ['ThrottlingException', 400], 'server-error': ['InternalException', 500], 'access-denied': ['AccessDeniedException', 400] },
  commands: (w: World, _sfn) => ({
    // PutEvents: up to 10 entries, 256 KB in all; each entry is accepted or gets an error code.
    PutEventsCommand: (i: { Entries: { Source?: string; DetailType?: string; Detail?: string; Resources?: string[]; EventBusName?: string }[] }) => {
      if (!i.Entries?.length || i.Entries.length > 10) throw new SimAwsError('ValidationException', '1 validation error detected: Value at \'entries\' failed to satisfy constraint: Member must have length less than or equal to 10');
      const Entries = i.Entries.map((e, k) => {
        let detail: Record<string, unknown>;
        try {
          detail = JSON.parse(e.Detail ?? '');
        } catch {
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        }
        if (!e.Source || !e.DetailType) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source and DetailType are required.' };
        w.published.push({ t: w.clock.now, source: e.Source, detailType: e.DetailType, detail });
        w.onPutEvent({ source: e.Source, 'detail-type': e.DetailType, detail, resources: e.Resources ?? [] });
        return { EventId: hexId(`put-${w.published.length}-${k}`, 32) };
      });
      return { Entries, FailedEntryCount: Entries.filter((e) => 'ErrorCode' in e).length };
    },
  }),
});
