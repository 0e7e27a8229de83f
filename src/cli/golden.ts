// `crashlab golden [DIR]`: run every case of the catalog on every arch, compare each
// report with its golden file under DIR (default goldens/), and say what changed.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Argv } from 'yargs';
import { ARCH_NAMES, type ArchName } from '../arch/index.js';
import { expectationFor, jobsFor, loadCases, type Case, type Expectation } from '../golden/catalog.js';
import { crossArch, crossTable } from '../golden/cross.js';
import { unifiedDiff } from '../golden/diff.js';
import { junitXml } from '../golden/junit.js';
import { runJobs } from '../golden/pool.js';
import type { RunResult } from '../golden/run.js';
import { checkArchOption, UsageError } from './errors.js';

export interface GoldenArgs {
  dir: string;
  cases: string;
  update: boolean;
  arch?: string;
  filter?: string;
  jobs?: number;
  json: boolean;
  junit?: string;
  'cross-arch': boolean;
  shard?: string;
}

export function goldenBuilder(y: Argv): Argv<GoldenArgs> {
  return y
    .positional('dir', { type: 'string', default: 'goldens', describe: 'folder of golden files (<case>/<arch>.txt)' })
    .option('cases', { type: 'string', default: 'guests/cases', describe: 'folder of case manifests (ELFs are in its sibling build/)' })
    .option('update', { type: 'boolean', default: false, describe: 'write the goldens from this run instead of comparing' })
    .option('arch', { type: 'string', describe: `only this arch (${ARCH_NAMES.join(', ')})` })
    .option('filter', { type: 'string', describe: 'only cases (or case/arch) matching PATTERN (substring, or glob with *)' })
    .option('jobs', { type: 'number', describe: 'parallel worker processes (default: the number of cores)' })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object on stdout instead of text' })
    .option('junit', { type: 'string', describe: 'also write a JUnit XML report to FILE' })
    .option('cross-arch', { type: 'boolean', default: false, describe: 'compare the arches of each case with each other; undeclared differences fail' })
    .option('shard', { type: 'string', describe: 'run the K-th of N deterministic slices of the cases (K/N, 1-based)' })
    .example('$0 golden', 'run the whole suite against goldens/')
    .example('$0 golden --update --filter null-write', 'rewrite the goldens of one case')
    .example('$0 golden --cross-arch --arch rv64 --arch aarch64', 'the cross-arch table') as unknown as Argv<GoldenArgs>;
}

type Status = 'pass' | 'fail' | 'missing' | 'updated' | 'error';

interface Outcome {
  caseName: string;
  arch: string;
  status: Status;
  ms: number;
  goldenPath: string;
  diff?: string;
  problem?: string;
}

function describeExpectation(e: Expectation): string {
  return e.outcome === 'signal' ? e.signal : e.outcome === 'exit' ? `exit ${e.exitCode}` : 'timeout';
}

function meetsExpectation(r: RunResult, e: Expectation): boolean {
  if (e.outcome === 'signal') return r.outcome.kind === 'signal' && r.outcome.signal === e.signal;
  if (e.outcome === 'exit') return r.outcome.kind === 'exit' && r.outcome.exitCode === e.exitCode;
  return r.outcome.kind === 'timeout';
}

function parseShard(s: string | undefined): { k: number; n: number } | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError(`--shard expects K/N with 1 <= K <= N, got '${s}'`);
  return { k: Number(m[1]), n: Number(m[2]) };
}

export async function goldenCommand(args: GoldenArgs): Promise<number> {
  let a = args;
  checkArchOption(a.arch);
  // CRASHLAB_UPDATE_GOLDENS=1 (e.g. `CRASHLAB_UPDATE_GOLDENS=1 npm test`) is --update.
  if (process.env.CRASHLAB_UPDATE_GOLDENS === '1') a = { ...a, update: true };
  const jobsN = a.jobs ?? os.availableParallelism();
  if (!Number.isInteger(jobsN) || jobsN < 1) throw new UsageError(`--jobs must be a positive integer, got ${a.jobs}`);
  const shard = parseShard(a.shard);
  const cases = loadCases(a.cases);
  const byName = new Map(cases.map((c) => [c.name, c]));
  const jobs = jobsFor(cases, a.cases, { arch: a.arch as ArchName | undefined, filter: a.filter, shard });
  if (jobs.length === 0) throw new UsageError('no case matches the selection');

  const tty = !a.json && process.stderr.isTTY;
  const began = performance.now();
  let done = 0;
  const results = await runJobs(jobs, jobsN, (r) => {
    done++;
    if (tty) process.stderr.write(`\r\x1b[Kgolden: [${done}/${jobs.length}] ${r.caseName}/${r.arch}`);
  });
  if (tty) process.stderr.write('\r\x1b[K');
  const wallMs = performance.now() - began;

  // Compare (or update) in catalog order, whatever order the workers finished in.
  const order = new Map(jobs.map((j, i) => [`${j.caseName}/${j.arch}`, i]));
  results.sort((x, y) => order.get(`${x.caseName}/${x.arch}`)! - order.get(`${y.caseName}/${y.arch}`)!);
  const outcomes: Outcome[] = results.map((r) => judge(r, byName.get(r.caseName)!, a));

  let crossRows: ReturnType<typeof crossArch>[] = [];
  if (a['cross-arch']) {
    const selected = [...new Set(results.map((r) => r.caseName))].map((n) => byName.get(n)!);
    crossRows = selected.map((c) => crossArch(c, results));
  }
  const undeclared = crossRows.reduce((s, r) => s + r.details.length, 0);
  const count = (s: Status) => outcomes.filter((o) => o.status === s).length;
  const summary = {
    runs: outcomes.length,
    passed: count('pass'),
    failed: count('fail'),
    missing: count('missing'),
    updated: count('updated'),
    errors: count('error'),
    undeclaredDifferences: a['cross-arch'] ? undeclared : undefined,
    seconds: +(wallMs / 1000).toFixed(3),
    runsPerSecond: +(outcomes.length / (wallMs / 1000)).toFixed(1),
    jobs: jobsN,
  };
  const ok = summary.failed === 0 && summary.missing === 0 && summary.errors === 0 && undeclared === 0;

  if (a.junit) {
    writeFileSync(
      a.junit,
      junitXml(
        'crashlab golden',
        outcomes.map((o) => ({
          name: `${o.caseName}/${o.arch}`,
          ms: o.ms,
          failure: o.status === 'fail' || o.status === 'missing' ? (o.problem ?? '') + (o.diff ? '\n' + o.diff : '') : undefined,
          error: o.status === 'error' ? o.problem : undefined,
        })),
      ),
    );
  }
  if (a.json) {
    const arches = ARCH_NAMES.filter((x) => results.some((r) => r.arch === x));
    process.stdout.write(
      JSON.stringify(
        {
          summary,
          results: outcomes.map((o) => ({ case: o.caseName, arch: o.arch, status: o.status, ms: +o.ms.toFixed(1), golden: o.goldenPath, problem: o.problem, diff: o.diff })),
          crossArch: a['cross-arch']
            ? crossRows.map((r) => ({ case: r.caseName, cells: r.cells, undeclared: r.details }))
            : undefined,
          arches,
        },
        null,
        2,
      ) + '\n',
    );
    return ok ? 0 : 1;
  }
  const out: string[] = [];
  for (const o of outcomes) {
    if (o.status === 'fail') {
      out.push(`FAIL ${o.caseName}/${o.arch}: ${o.problem}`);
      if (o.diff) out.push(o.diff.trimEnd());
      out.push(`  (to accept this output: crashlab golden --update --filter '${o.caseName}/${o.arch}')`, '');
    } else if (o.status === 'missing') {
      out.push(`MISSING ${o.caseName}/${o.arch}: ${o.goldenPath} does not exist (crashlab golden --update --filter '${o.caseName}/${o.arch}' writes it)`, '');
    } else if (o.status === 'error') {
      out.push(`ERROR ${o.caseName}/${o.arch}: ${o.problem}`, '');
    }
  }
  if (a['cross-arch']) out.push(crossTable(crossRows, ARCH_NAMES.filter((x) => results.some((r) => r.arch === x))));
  const parts = [`${summary.runs} runs`, `${summary.passed} passed`];
  if (summary.updated) parts.push(`${summary.updated} updated`);
  parts.push(`${summary.failed} failed`);
  if (summary.missing) parts.push(`${summary.missing} missing`);
  if (summary.errors) parts.push(`${summary.errors} errors`);
  if (a['cross-arch']) parts.push(`${undeclared} undeclared cross-arch differences`);
  out.push(`golden: ${parts.join(', ')} in ${summary.seconds} s (${summary.runsPerSecond} runs/s, ${jobsN} jobs)`);
  process.stdout.write(out.join('\n') + '\n');
  return ok ? 0 : 1;
}

function judge(r: RunResult, c: Case, a: GoldenArgs): Outcome {
  const goldenPath = path.join(a.dir, r.caseName, `${r.arch}.txt`);
  const base = { caseName: r.caseName, arch: r.arch, ms: r.ms, goldenPath };
  if (r.error) return { ...base, status: 'error', problem: r.error };
  const want = expectationFor(c, r.arch as ArchName);
  const expectationProblem = meetsExpectation(r, want)
    ? undefined
    : `the manifest expects ${describeExpectation(want)}, the run gave ${r.outcome.kind === 'signal' ? r.outcome.signal : r.outcome.kind === 'exit' ? `exit ${r.outcome.exitCode}` : r.outcome.kind}`;
  if (a.update) {
    if (expectationProblem) return { ...base, status: 'fail', problem: `${expectationProblem} (golden not written)` };
    mkdirSync(path.dirname(goldenPath), { recursive: true });
    const before = existsSync(goldenPath) ? readFileSync(goldenPath, 'utf8') : null;
    if (before !== r.text) writeFileSync(goldenPath, r.text);
    return { ...base, status: before === r.text ? 'pass' : 'updated' };
  }
  if (!existsSync(goldenPath)) return { ...base, status: 'missing', problem: `${goldenPath} does not exist` };
  const golden = readFileSync(goldenPath, 'utf8');
  if (golden !== r.text) {
    return { ...base, status: 'fail', problem: `output differs from ${goldenPath}`, diff: unifiedDiff(golden, r.text, `${goldenPath} (golden)`, `${r.caseName}/${r.arch} (this run)`) };
  }
  if (expectationProblem) return { ...base, status: 'fail', problem: expectationProblem };
  return { ...base, status: 'pass' };
}
