// `crashlab golden` through the real CLI: the committed suite passes (and its arches
// agree where the manifests say they should), and the runner fails when it should, with a
// diff that names the case and arch. Failure cases work on a temporary copy of the
// catalog and goldens, so the repository is never touched.

import test from 'ava';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crashlab, ROOT } from '../helpers/cli.js';

const CASES = readdirSync(path.join(ROOT, 'guests/cases')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));

/** A scratch copy: <tmp>/guests/cases (copied), <tmp>/guests/build (link), <tmp>/goldens (copied). */
function scratch(): { dir: string; cases: string; goldens: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crashlab-golden-'));
  mkdirSync(path.join(dir, 'guests'));
  cpSync(path.join(ROOT, 'guests/cases'), path.join(dir, 'guests/cases'), { recursive: true });
  symlinkSync(path.join(ROOT, 'guests/build'), path.join(dir, 'guests/build'));
  cpSync(path.join(ROOT, 'goldens'), path.join(dir, 'goldens'), { recursive: true });
  return { dir, cases: path.join(dir, 'guests/cases'), goldens: path.join(dir, 'goldens') };
}

const SUMMARY = /^golden: (\d+) runs, (\d+) passed, (\d+) failed/m;

test('the committed golden suite passes: at least 15 cases on all four arches', (t) => {
  t.true(CASES.length >= 15, `${CASES.length} cases`);
  const r = crashlab(['golden'], { timeoutMs: 120_000 });
  t.is(r.code, 0, r.stdout + r.stderr);
  const m = SUMMARY.exec(r.stdout)!;
  t.truthy(m, r.stdout);
  t.true(Number(m[1]) >= 60);
  t.is(m[1], m[2]);
  t.is(m[3], '0');
});

test('the Linux programs\' golden suite passes (rv64, aarch64, x86-64, musl)', (t) => {
  const r = crashlab(['golden', 'goldens/linux', '--cases', 'guests/linux/cases', '--cross-arch'], { timeoutMs: 120_000 });
  t.is(r.code, 0, r.stdout + r.stderr);
  const m = SUMMARY.exec(r.stdout)!;
  t.truthy(m, r.stdout);
  t.true(Number(m[1]) >= 40, m[0]);
  t.regex(r.stdout, / 0 undeclared cross-arch differences /);
  t.is(m[1], m[2]);
  t.is(m[3], '0');
});

test('the arches agree wherever the manifests do not declare a difference', (t) => {
  const r = crashlab(['golden', '--cross-arch'], { timeoutMs: 120_000 });
  t.is(r.code, 0, r.stdout);
  t.regex(r.stdout, / 0 undeclared cross-arch differences /);
  t.regex(r.stdout, /^case\s+aarch64\s+x86-64\s+rv32\s+rv64$/m);
  t.regex(r.stdout, /^trap\s+SIGTRAP ~\s+SIGILL\s+SIGILL\s+SIGILL$/m);
});

test('a golden edited by one character fails with a diff naming the case and arch', (t) => {
  const s = scratch();
  const g = path.join(s.goldens, 'null-write/rv64.txt');
  writeFileSync(g, readFileSync(g, 'utf8').replace('bt_mid', 'bt_mId'));
  const r = crashlab(['golden', s.goldens, '--cases', s.cases, '--filter', 'null-write'], { timeoutMs: 60_000 });
  t.is(r.code, 1);
  t.regex(r.stdout, /^FAIL null-write\/rv64: output differs from /m);
  t.regex(r.stdout, /^-#1 .* in bt_mId\+/m);
  t.regex(r.stdout, /^\+#1 .* in bt_mid\+/m);
  t.regex(r.stdout, /--update --filter 'null-write\/rv64'/);
  t.regex(r.stdout, /^golden: 4 runs, 3 passed, 1 failed/m);
  rmSync(s.dir, { recursive: true, force: true });
});

test('a missing golden fails and says how to write it', (t) => {
  const s = scratch();
  rmSync(path.join(s.goldens, 'trap/x86-64.txt'));
  const r = crashlab(['golden', s.goldens, '--cases', s.cases, '--filter', 'trap'], { timeoutMs: 60_000 });
  t.is(r.code, 1);
  t.regex(r.stdout, /^MISSING trap\/x86-64: .*trap\/x86-64\.txt does not exist/m);
  t.regex(r.stdout, /, 1 missing/);
  rmSync(s.dir, { recursive: true, force: true });
});

test('an extra frame in the golden fails with a diff', (t) => {
  const s = scratch();
  const g = path.join(s.goldens, 'deep-chain/aarch64.txt');
  const text = readFileSync(g, 'utf8');
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith('#3 '));
  lines.splice(i, 0, lines[i]!);
  writeFileSync(g, lines.join('\n'));
  const r = crashlab(['golden', s.goldens, '--cases', s.cases, '--filter', 'deep-chain/aarch64'], { timeoutMs: 60_000 });
  t.is(r.code, 1);
  t.regex(r.stdout, /^FAIL deep-chain\/aarch64:/m);
  t.regex(r.stdout, /^-#3 /m);
  rmSync(s.dir, { recursive: true, force: true });
});

test('an undeclared cross-arch difference fails the cross-arch view', (t) => {
  const s = scratch();
  const m = path.join(s.cases, 'trap.json');
  const manifest = JSON.parse(readFileSync(m, 'utf8')) as { differences: unknown[] };
  manifest.differences = [];
  writeFileSync(m, JSON.stringify(manifest));
  const r = crashlab(['golden', s.goldens, '--cases', s.cases, '--filter', 'trap', '--cross-arch'], { timeoutMs: 60_000 });
  t.is(r.code, 1);
  t.regex(r.stdout, /^\s+trap\/aarch64: signal "SIGTRAP" where the other arches have "SIGILL"$/m);
  t.regex(r.stdout, /, 1 undeclared cross-arch differences /);
  rmSync(s.dir, { recursive: true, force: true });
});

test('a run whose outcome contradicts its manifest fails even when the golden matches', (t) => {
  const s = scratch();
  const m = path.join(s.cases, 'null-read.json');
  const manifest = JSON.parse(readFileSync(m, 'utf8')) as Record<string, unknown>;
  manifest.expect = { outcome: 'signal', signal: 'SIGBUS' };
  writeFileSync(m, JSON.stringify(manifest));
  const r = crashlab(['golden', s.goldens, '--cases', s.cases, '--filter', 'null-read', '--arch', 'rv32'], { timeoutMs: 60_000 });
  t.is(r.code, 1);
  t.regex(r.stdout, /^FAIL null-read\/rv32: the manifest expects SIGBUS, the run gave SIGSEGV$/m);
  rmSync(s.dir, { recursive: true, force: true });
});

test('--update writes missing and changed goldens, then the suite passes', (t) => {
  const s = scratch();
  rmSync(path.join(s.goldens, 'exit3'), { recursive: true });
  const g = path.join(s.goldens, 'null-write/rv32.txt');
  const orig = readFileSync(g, 'utf8');
  writeFileSync(g, 'stale\n');
  const u = crashlab(['golden', s.goldens, '--cases', s.cases, '--filter', 'null-write', '--update'], { timeoutMs: 120_000 });
  t.is(u.code, 0, u.stdout);
  t.regex(u.stdout, / 1 updated/);
  const u2 = crashlab(['golden', s.goldens, '--cases', s.cases, '--filter', 'exit3', '--update'], { timeoutMs: 60_000 });
  t.regex(u2.stdout, / 4 updated/);
  t.is(readFileSync(g, 'utf8'), orig);
  t.is(readFileSync(path.join(s.goldens, 'exit3/x86-64.txt'), 'utf8'), readFileSync(path.join(ROOT, 'goldens/exit3/x86-64.txt'), 'utf8'));
  rmSync(s.dir, { recursive: true, force: true });
});

test('--shard K/N: the shards cover every case exactly once', (t) => {
  const seen: string[] = [];
  for (const k of [1, 2, 3]) {
    const r = crashlab(['golden', '--shard', `${k}/3`, '--json'], { timeoutMs: 120_000 });
    t.is(r.code, 0);
    const j = JSON.parse(r.stdout) as { results: { case: string; arch: string }[] };
    seen.push(...j.results.map((x) => `${x.case}/${x.arch}`));
  }
  t.is(new Set(seen).size, seen.length);
  t.is(seen.length, CASES.length * 4);
});

test('--json and --junit report every run; --arch and --filter select', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crashlab-junit-'));
  const junit = path.join(dir, 'report.xml');
  const r = crashlab(['golden', '--json', '--junit', junit, '--arch', 'rv64', '--filter', 'null-*'], { timeoutMs: 60_000 });
  t.is(r.code, 0);
  const j = JSON.parse(r.stdout) as { summary: { runs: number; passed: number }; results: { case: string; arch: string; status: string }[] };
  t.true(j.results.length >= 3);
  t.true(j.results.every((x) => x.arch === 'rv64' && x.case.startsWith('null-') && x.status === 'pass'));
  t.is(j.summary.runs, j.results.length);
  const xml = readFileSync(junit, 'utf8');
  t.regex(xml, new RegExp(`<testsuite name="crashlab golden" tests="${j.results.length}" failures="0" errors="0"`));
  t.regex(xml, /<testcase classname="crashlab golden" name="null-write\/rv64" time="[\d.]+"\/>/);
  rmSync(dir, { recursive: true, force: true });
});

test('bad golden arguments give one line and exit 2', (t) => {
  for (const args of [['--shard', '3/2'], ['--arch', 'mips'], ['--jobs', '0'], ['--filter', 'no-such-case-anywhere']]) {
    const r = crashlab(['golden', ...args]);
    t.is(r.code, 2, args.join(' '));
    t.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  }
});
