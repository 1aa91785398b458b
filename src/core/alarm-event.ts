import * as z from 'zod/mini';
import './zod.js';

// The CloudWatch alarm event, read by the guard and by resolve (an instance alarm names its
// instance). Its own module: the guard loads it without resolve's S3 and EC2 adapters.

const len = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

/** A CloudWatch Alarm State Change event (the fields greenlight reads). */
export const AlarmEvent = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  detail: z.object({
    alarmName: len(1, 255),
    state: z.object({ value: z.string() }),
    configuration: z.optional(
      z.object({ metrics: z.optional(z.array(z.object({ metricStat: z.optional(z.object({ metric: z.object({ dimensions: z.optional(z.record(z.string(), z.string())) }) })) }))) }),
    ),
  }),
});
