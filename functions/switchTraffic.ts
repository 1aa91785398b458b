import { lambda } from '../src/steps/lambda.js';
import { switchTraffic } from '../src/steps/traffic.js';

export const { handler, withDeps } = lambda('switchTraffic', switchTraffic);
