import { failure, main } from '../../src/cli/program.js';

// The command line in this process: main(argv) as bin/greenlight runs it, its stdout and stderr
// captured, an error mapped to its exit code as main.ts does. A test file's tests run one after
// another, so swapping the process's streams, directory and environment for a call is safe.
// (test/cli/cli.test.ts keeps a few runs of the real binary: its bundle, its exit codes.)

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const writes = { out: process.stdout.write, err: process.stderr.write };
  const capture = (sink: string[]) => ((chunk: string | Uint8Array) => sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')) > 0) as typeof process.stdout.write;
  const cwd = process.cwd();
  const saved = Object.fromEntries(Object.keys(options.env ?? {}).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (options.cwd) process.chdir(options.cwd);
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  let code: number;
  try {
    code = await main(args);
  } catch (e) {
    const f = failure(e as Error);
    err.push(f.message);
    code = f.code;
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    process.chdir(cwd);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return { code, out: out.join(''), err: err.join('') };
}
