import * as SDK from '@aws-sdk/client-sns';
import { SimAwsError } from '../errors.js';
import { hexId, type World } from '../world.js';
import { defineService } from './service.js';

// SNS, as the simulator answers it: the commands greenlight and its CLI call.

export const sns = defineService({
  name: 'sns',
  iamPrefix: 'sns',
  sdk: SDK,
  baseException: 'SNSServiceException',
  faults: { throttle: ['Throttled', 400], 'server-error': ['InternalError', 500], 'access-denied': ['AuthorizationError', 403] },
  commands: (w: World, _sfn) => ({
    PublishCommand: (i: { TopicArn: string; Message: string; Subject?: string; MessageAttributes?: Record<string, { DataType: string; StringValue?: string }> }) => {
      if (!w.snsTopics.has(i.TopicArn)) throw new SimAwsError('NotFound', 'Topic does not exist', 404);
      if (Buffer.byteLength(i.Message) > 256 * 1024) throw new SimAwsError('InvalidParameter', 'Invalid parameter: Message too long');
      // Subjects: no line breaks or control characters, and less than 100 characters.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the rule being modelled.
      if (i.Subject !== undefined && (i.Subject.length >= 100 || /[\u0000-\u001f\u007f]/.test(i.Subject))) throw new SimAwsError('InvalidParameter', 'Invalid parameter: Subject');
      const attributes = Object.fromEntries(Object.entries(i.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']));
      w.snsMessages.push({ t: w.clock.now, topicArn: i.TopicArn, subject: i.Subject, message: i.Message, attributes });
      return { MessageId: hexId(`sns-${w.snsMessages.length}`, 32) };
    },
  }),
});
