// Test harness only (loaded with `node --import` into the conformance runner and into every
// greenlight command it starts; never part of the product). It does two things:
//  1. Repairs moto 4.1.15's known response bugs (../shared/vendor/README.md) so that the real
//     AWS SDK v3 can parse them: a stray `}` inside Auto Scaling's <LaunchTemplate>, RunInstances'
//     repeated <ebsOptimized>, and Step Functions dates sent as ISO strings where AWS sends epoch
//     seconds. Each repair is counted.
//  2. Records every AWS operation sent (service and operation, one JSON line per call) to the
//     file named by CONFORMANCE_LOG, so the runner can report what the product exercised.
import { appendFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';

// Read at each call: the runner itself turns logging on around the product code it calls in-process (dispatch).
const logFile = () => process.env.CONFORMANCE_LOG;
const original = NodeHttpHandler.prototype.handle;

/** The operation a request names: JSON protocols in X-Amz-Target, query protocols in Action=, REST by method and path. */
function operationOf(request) {
  const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
  const host = String(request.hostname ?? '');
  if (target) return { service: String(target).split('.')[0], operation: String(target).split('.').pop() };
  const body = typeof request.body === 'string' ? request.body : '';
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
  if (action) return { service: serviceOfQuery(body, request), operation: action };
  return { service: host.split('.')[0] || 's3', operation: `${request.method} ${request.path}${request.query && Object.keys(request.query).length ? `?${Object.keys(request.query).join('&')}` : ''}` };
}

function serviceOfQuery(body, request) {
  const version = /(?:^|&)Version=([0-9-]+)/.exec(body)?.[1];
  const byVersion = { '2016-11-15': 'ec2', '2011-01-01': 'autoscaling', '2015-12-01': 'elasticloadbalancing', '2010-08-01': 'cloudwatch', '2010-03-31': 'sns' };
  return byVersion[version] ?? String(request.headers.authorization ?? '').match(/\/([a-z0-9-]+)\/aws4_request/)?.[1] ?? 'unknown';
}

const repairs = [
  // Auto Scaling: <LaunchTemplateId>..</LaunchTemplateId>}<Version> (the SDK then reads the template as {}).
  { when: (op) => op.operation === 'DescribeAutoScalingGroups', fix: (t) => t.replace(/(<\/LaunchTemplateId>)\}/g, '$1') },
  // EC2 RunInstances: <ebsOptimized> twice in one instance item (the first one a Python
  // boolean, "False"); the SDK cannot read a repeated scalar.
  { when: (op) => op.operation === 'RunInstances' || op.operation === 'DescribeInstances', fix: (t) => t.replace(/<ebsOptimized>(True|False)<\/ebsOptimized>/g, '') },
  // Step Functions: "startDate": "2026-...Z" where AWS sends epoch seconds.
  {
    when: (op) => op.service === 'AWSStepFunctions',
    fix: (t) => t.replace(/"(startDate|stopDate|creationDate|updateDate|redriveDate|timestamp)"\s*:\s*"([0-9]{4}-[0-9]{2}-[0-9]{2}T[^"]+)"/g, (_m, k, iso) => `"${k}": ${Date.parse(iso) / 1000}`),
  },
];

NodeHttpHandler.prototype.handle = async function handle(request, options) {
  const op = operationOf(request);
  const log = logFile();
  if (log) appendFileSync(log, `${JSON.stringify({ ...op, pid: process.pid })}\n`);
  const result = await original.call(this, request, options);
  const repair = repairs.filter((r) => r.when(op));
  if (!repair.length || !result.response?.body) return result;
  const chunks = [];
  for await (const c of result.response.body) chunks.push(Buffer.from(c));
  const before = Buffer.concat(chunks).toString('utf8');
  const after = repair.reduce((t, r) => r.fix(t), before);
  if (after !== before && log) appendFileSync(log, `${JSON.stringify({ repaired: op.operation, pid: process.pid })}\n`);
  result.response.body = Readable.from([Buffer.from(after)]);
  if (result.response.headers) delete result.response.headers['content-length'];
  return result;
};

// moto runs no servers: an eip release's HTTP checks of the new server's private address (10.x)
// are answered here, as a healthy app would answer them. Only with CONFORMANCE_HTTP_STUB=1.
if (process.env.CONFORMANCE_HTTP_STUB === '1') {
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input.url);
    if (/^10\./.test(url.hostname)) {
      if (logFile()) appendFileSync(logFile(), `${JSON.stringify({ stubbedHttp: url.href, pid: process.pid })}\n`);
      return new Response('ok', { status: 200 });
    }
    return realFetch(input, init);
  };
}
