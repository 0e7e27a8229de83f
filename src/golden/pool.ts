// Running golden jobs in parallel: N child processes of crashlab itself (the hidden
// `__golden-worker` command), each running one job at a time in-process and asking for
// the next, so long and short runs balance out. Processes rather than threads: a guest
// that brings down the emulator takes one worker with it, not the run.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Job } from './catalog.js';
import { runJob, type RunResult } from './run.js';

export async function runJobs(jobs: Job[], workers: number, onResult: (r: RunResult) => void): Promise<RunResult[]> {
  const results: RunResult[] = [];
  if (workers <= 1 || jobs.length <= 1) {
    for (const j of jobs) {
      const r = await runJob(j);
      results.push(r);
      onResult(r);
    }
    return results;
  }
  let next = 0;
  const n = Math.min(workers, jobs.length);
  await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [process.argv[1]!, '__golden-worker'], { stdio: ['pipe', 'pipe', 'inherit'] });
        let current: Job | null = null;
        const give = () => {
          if (next >= jobs.length) {
            current = null;
            child.stdin.end();
            return;
          }
          current = jobs[next++]!;
          child.stdin.write(JSON.stringify(current) + '\n');
        };
        createInterface({ input: child.stdout }).on('line', (line) => {
          const r = JSON.parse(line) as RunResult;
          results.push(r);
          onResult(r);
          give();
        });
        child.on('error', reject);
        child.on('close', (code, signal) => {
          if (current) {
            // The worker died inside a job: record that job as failed and go on without it.
            const job: Job = current;
            const r: RunResult = {
              caseName: job.caseName, arch: job.arch, text: `worker died running this case (${signal ?? `exit ${code}`})\n`,
              outcome: { kind: 'error', exitCode: 1 }, functions: [], lines: [], stdout: '', ms: 0, error: `worker died (${signal ?? code})`,
            };
            results.push(r);
            onResult(r);
          }
          resolve();
        });
        give();
      }),
    ),
  );
  return results;
}

/** The worker side: one job per stdin line, one result per stdout line. */
export async function workerMain(): Promise<number> {
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const r = await runJob(JSON.parse(line) as Job);
    process.stdout.write(JSON.stringify(r) + '\n');
  }
  return 0;
}
