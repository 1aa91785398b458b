import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Processes } from '../../src/local/processes.js';
import { VirtualClock } from '../../src/sim/clock.js';

// The scheduler moves virtual time only when nothing else can happen. A read of a named pipe
// whose writer writes after 300 ms of real time is real I/O that no number of event-loop turns
// covers: the clock must not move while it is in flight (the SDK's read of ~/.aws/config on a
// client's first call is the case met in practice).

function delayedFifo(ms: number): string {
  const fifo = join(mkdtempSync(join(tmpdir(), 'greenlight-procs-')), 'fifo');
  execFileSync('mkfifo', [fifo]);
  spawn('sh', ['-c', `sleep ${ms / 1000}; printf written > "${fifo}"`], { stdio: 'ignore' });
  return fifo;
}

describe('Class: Processes', () => {
  it('does not move virtual time while real file I/O is in flight', async () => {
    const clock = new VirtualClock();
    const procs = new Processes(clock);
    const seen: string[] = [];
    const fifo = delayedFifo(300);
    procs.spawn(async () => {
      const text = await readFile(fifo, 'utf8');
      seen.push(`${text} at ${clock.now}`);
    });
    procs.spawn(async () => {
      await clock.sleep(10);
      seen.push(`timer at ${clock.now}`);
    });
    await procs.runUntil(() => procs.active === 0, 60);
    expect(seen).toEqual(['written at 0', 'timer at 10']);
    expect(procs.errors).toEqual([]);
  });

  it('reports real I/O that outlasts its limit instead of waiting for ever', async () => {
    const clock = new VirtualClock();
    const procs = new Processes(clock);
    const fifo = delayedFifo(500);
    const read = readFile(fifo, 'utf8');
    await procs.settle(50);
    expect(procs.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^real I\/O still in flight after 50 ms \(FSReq\w+\)/)]);
    await expect(read).resolves.toBe('written');
  });
});
