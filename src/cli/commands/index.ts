// The operator's commands, one file each (as ecspresso keeps deploy.go, rollback.go, verify.go).
// Each returns an exit code and a result: text for people, or the same as one JSON document
// (--json). Exit codes: 0 ok / released; 1 the operation did not succeed (rolled back,
// rejected, superseded, a check is NG); 2 usage; 3 AWS or unexpected error.

export { abort } from './abort.js';
export { diff } from './diff.js';
export { history } from './history.js';
export { plan } from './plan.js';
export { prewarm } from './prewarm.js';
export { promote } from './promote.js';
export { release } from './release.js';
export { retire } from './retire.js';
export { rollback } from './rollback.js';
export { app, follow, type Result } from './shared.js';
export { status } from './status.js';
export { verify } from './verify.js';
export { waitFor } from './wait.js';
