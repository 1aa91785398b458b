// Networking (loaded by serverless.yml and by the simulator): the functions that make HTTP checks
// of the apps themselves (an eip server's private address, smoke checks through a test listener
// of an internal load balancer) run in the VPC given by `vpc:` in greenlight.config.yml.
const { load } = require('./config.cjs');

/** The functions that call the apps over HTTP (src/steps/http.ts): checkGreen and switchTraffic (eip health checks), smokeTest. */
const VPC_FUNCTIONS = ['checkGreen', 'switchTraffic', 'smokeTest'];

function vpc() {
  const v = load()?.vpc;
  return v ? { subnetIds: v.subnetIds, securityGroupIds: v.securityGroupIds } : null;
}

module.exports = { VPC_FUNCTIONS, vpc };
