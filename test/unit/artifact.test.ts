import { describe, expect, it } from '@jest/globals';
import { candidateKeys, checkUserDataTemplate, parseAmiManifest, parseReleaseKey, renderUserData } from '../../src/core/artifact.js';
import { InvalidInput } from '../../src/core/errors.js';

describe('Function: parseReleaseKey', () => {
  it.each([
    ['releases/web/1.4.2.json', { app: 'web', version: '1.4.2', extension: 'json' }],
    ['releases/web/1.4.2.tar.gz', { app: 'web', version: '1.4.2', extension: 'tar.gz' }],
    ['releases/api-v2/2026.11.26-rc_1.zip', { app: 'api-v2', version: '2026.11.26-rc_1', extension: 'zip' }],
  ])('parses %s', (key, want) => {
    expect(parseReleaseKey(key)).toEqual(want);
  });

  it.each([
    ['uploads/web/1.4.2.json', /outside releases\//],
    ['releases/web/sub/1.4.2.json', /exactly two parts/],
    ['releases/Web/1.4.2.json', /app name "Web".*invalid/],
    ['releases/web/1.4.2.exe', /no recognised extension/],
    ['releases/web/..json', /version "\." .*invalid|version ".".*invalid/],
    ['releases/web/a..b.json', /invalid/],
    ['releases/web/.hidden.json', /invalid/],
    [`releases/web/${'x'.repeat(70)}.json`, /invalid/],
    [`releases/web/${'x'.repeat(1100)}.json`, /at most 1024/],
  ])('rejects %s with a message that names the fix', (key, msg) => {
    expect(() => parseReleaseKey(key)).toThrow(InvalidInput);
    expect(() => parseReleaseKey(key)).toThrow(msg);
  });
});

describe('Function: parseAmiManifest', () => {
  const key = { app: 'web', version: '1.4.2', extension: 'json' };
  it('accepts a well-formed manifest', () => {
    expect(parseAmiManifest('{"version":"1.4.2","imageId":"ami-0123456789abcdef0"}', key)).toEqual({ version: '1.4.2', imageId: 'ami-0123456789abcdef0' });
  });
  it.each([
    ['not json', /not valid JSON/],
    ['{"version":"1.4.2"}', /imageId/],
    ['{"version":"1.4.2","imageId":"ami-0123456789abcdef0","extra":1}', /extra|Unrecognized/i],
    ['{"version":"1.4.3","imageId":"ami-0123456789abcdef0"}', /says version "1.4.3" but its key says "1.4.2"/],
    ['{"version":"1.4.2","imageId":"i-0123456789abcdef0"}', /AMI id/],
    [JSON.stringify({ version: '1.4.2', imageId: 'ami-0123456789abcdef0', description: 'x'.repeat(20000) }), /limit is 16384/],
  ])('rejects %s', (body, msg) => {
    expect(() => parseAmiManifest(body, key)).toThrow(msg);
  });
});

describe('Function: user data', () => {
  const values = { app: 'web', version: '1.4.2', bucket: 'b', key: 'releases/web/1.4.2.tgz', versionId: 'v1', s3Uri: 's3://b/releases/web/1.4.2.tgz', sha256: 'abc=' };
  it('renders every placeholder and base64-encodes', () => {
    const out = Buffer.from(renderUserData('get {{ s3Uri }} --version-id {{versionId}} # {{app}}@{{version}}', values), 'base64').toString();
    expect(out).toBe('get s3://b/releases/web/1.4.2.tgz --version-id v1 # web@1.4.2');
  });
  it('requires the version id, so instances can only fetch the released object version', () => {
    expect(checkUserDataTemplate('aws s3 cp {{s3Uri}} .')).toMatch(/\{\{versionId\}\}/);
  });
  it('names unknown placeholders', () => {
    expect(checkUserDataTemplate('{{s3Uri}} {{versionId}} {{secret}}')).toMatch(/unknown placeholder\(s\) \{\{secret\}\}/);
  });
  it('accepts bucket and key instead of the URI', () => {
    expect(checkUserDataTemplate('--bucket {{bucket}} --key {{key}} --version-id {{versionId}}')).toBeNull();
  });
  it('enforces the EC2 user data limit', () => {
    expect(() => renderUserData(`{{versionId}}${'x'.repeat(17000)}`, values)).toThrow(/EC2 allows 16384/);
  });
});

describe('Function: candidateKeys', () => {
  it('lists the keys a hand-typed version may live under', () => {
    expect(candidateKeys('web', '1.4.2', 'ami')).toEqual(['releases/web/1.4.2.json']);
    expect(candidateKeys('web', '1.4.2', 'bundle')).toEqual(['releases/web/1.4.2.tar.gz', 'releases/web/1.4.2.tgz', 'releases/web/1.4.2.zip']);
  });
});
