// greenlight.config.yml, embedded into the Lambda bundles at package time (esbuild `define`),
// as base64 JSON so that no YAML parser ships to Lambda and no `${...}` in a user-data template
// is mistaken for a Serverless variable.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { parse } = require('yaml');

function load() {
  const file = process.env.GREENLIGHT_CONFIG_FILE || join(__dirname, '..', 'greenlight.config.yml');
  return parse(readFileSync(file, 'utf8'));
}

/**
 * ARNs in the config whose region is not the region the stack deploys to: greenlight's role and
 * calls are regional, so such a resource would be denied or missing at the first release.
 * IAM ARNs (no region) are fine.
 */
function regionProblems(doc, region) {
  const byRegion = new Map();
  const walk = (v, path) => {
    if (typeof v === 'string') {
      const m = /^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):/.exec(v);
      if (m?.[1] && m[1] !== region) byRegion.set(m[1], [...(byRegion.get(m[1]) || []), path]);
    } else if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
    }
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(doc, '');
  return [...byRegion].map(
    ([other, paths]) => `${paths.join(', ')} ${paths.length === 1 ? 'is' : 'are'} in ${other} but the stack deploys to ${region}: name the ${region} resources, or deploy with --region ${other}`,
  );
}

/** Throws, naming every ARN of another region (serverless package/deploy call this). */
function assertRegion(doc, region) {
  const problems = regionProblems(doc, region);
  if (problems.length) throw new Error(`greenlight.config.yml: ${problems.join('; ')}`);
}

module.exports = {
  load,
  regionProblems,
  assertRegion,
  defineValue: () => JSON.stringify(Buffer.from(JSON.stringify(load())).toString('base64')),
};
