// Builds the command line into one ES module (.build/cli/main.mjs) with esbuild: our TypeScript
// bundled, packages left to node_modules. bin/greenlight runs it, and rebuilds it first when a
// source is newer; Node then starts without compiling TypeScript on every run (tsx), which cost
// about 1.8 s of CPU per command (issue 15). The bundle sits two levels below the repository,
// like src/cli/main.ts, so src/local/definitions.ts finds the repository root the same way.
import { renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.build', 'cli', 'main.mjs');
// Several commands may start at once (parallel tests): each builds to its own file, then renames
// it over the bundle (atomic on one file system), so no command ever runs a half-written one.
const tmp = `${out}.${process.pid}.tmp`;
await build({
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  outfile: tmp,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'error',
});
renameSync(tmp, out);
