import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { TransientAwsError } from '../core/errors.js';
import { chatMessage, DETAIL_TYPES, EVENT_SOURCE, headline, type ReleaseEventDetail } from '../core/history.js';
import { registerClient } from './clients.js';
import { call } from './errors.js';

registerClient('events', (config) => new EventBridgeClient(config));
registerClient('sns', (config) => new SNSClient(config));

// One state change, told twice: an EventBridge event on the default bus (rules route it
// anywhere), and an SNS message (email, AWS Chatbot, ChatOps) when a topic is configured.

export async function putReleaseEvent(events: EventBridgeClient, busName: string, d: ReleaseEventDetail, resources: string[]): Promise<void> {
  const out = await call('events:PutEvents', () =>
    events.send(
      new PutEventsCommand({
        Entries: [{ Source: EVENT_SOURCE, DetailType: DETAIL_TYPES[d.event], Detail: JSON.stringify(d), Resources: resources, EventBusName: busName }],
      }),
    ),
  );
  // PutEvents answers 200 even when an entry failed; the entry carries the error.
  const failed = out.Entries?.find((e) => e.ErrorCode);
  if (out.FailedEntryCount || failed) throw new TransientAwsError(`events:PutEvents: entry failed: ${failed?.ErrorCode ?? '?'}: ${failed?.ErrorMessage ?? ''}`);
}

export async function publishReleaseMessage(sns: SNSClient, topicArn: string, d: ReleaseEventDetail): Promise<void> {
  await call(`sns:Publish ${topicArn}`, () =>
    sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        // Subjects: no line breaks or control characters, fewer than 100 characters (ASCII here, for email).
        Subject: `greenlight ${headline(d)}`.replace(/[^\x20-\x7e]/g, '-').slice(0, 99),
        Message: chatMessage(d),
        MessageAttributes: {
          app: { DataType: 'String', StringValue: d.app },
          event: { DataType: 'String', StringValue: d.event },
        },
      }),
    ),
  );
}
