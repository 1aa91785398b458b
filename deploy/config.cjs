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

module.exports = {
  load,
  defineValue: () => JSON.stringify(Buffer.from(JSON.stringify(load())).toString('base64')),
};
