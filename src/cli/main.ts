import { failure, main } from './program.js';

// bin/greenlight's entry (bundled by bin/build-cli.mjs): run the command, exit with its code.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    const f = failure(err);
    process.stderr.write(f.message);
    process.exit(f.code);
  },
);
