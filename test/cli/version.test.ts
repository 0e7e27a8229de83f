// `crashlab --version` and the JSON report name the engine; the library is chosen as
// src/emu/library.ts says (CRASHLAB_LIBUNICORN, else .unicorn/, else the system's).

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FETCHED_LIBRARY, SYSTEM_LIBRARY, libraryCandidates } from '../../src/emu/library.js';
import { engineInfo, unicornVersion } from '../../src/emu/unicorn.js';
import { crashlab, guest, ROOT } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

test('--version names crashlab\'s version and the engine with its uc_version', (t) => {
  const r = crashlab(['--version']);
  t.is(r.code, 0);
  const [first, second, ...rest] = r.stdout.trimEnd().split('\n');
  t.is(first, `crashlab ${pkg.version}`);
  t.deepEqual(rest, []);
  const e = engineInfo();
  t.is(e.version, unicornVersion());
  t.true(second!.startsWith(`engine: Unicorn ${e.version} (`), second);
  t.is(second!.includes('slow path'), !e.fastPath);
});

test('--version with CRASHLAB_LIBUNICORN names that library', (t) => {
  const r = crashlab(['--version'], { env: { CRASHLAB_LIBUNICORN: SYSTEM_LIBRARY } });
  t.is(r.code, 0);
  t.regex(r.stdout, /^engine: Unicorn 2\.\d+\.\d+ \(CRASHLAB_LIBUNICORN: libunicorn\.so\.2\)/m);
});

test('the JSON report names the engine', (t) => {
  const r = crashlab(['emu', '--json', guest('rv64', 'null-write')]);
  const j = JSON.parse(r.stdout) as { engine: string; schema: number };
  t.is(j.engine, `unicorn ${unicornVersion()}`);
});

test('library order: the override alone, else the fetched 2.1, else the system\'s', (t) => {
  t.deepEqual(libraryCandidates({ CRASHLAB_LIBUNICORN: '/x/libunicorn.so.2' }), [{ file: '/x/libunicorn.so.2', source: 'env' }]);
  const fetched = path.join(ROOT, FETCHED_LIBRARY);
  const expected = [
    ...(existsSync(fetched) ? [{ file: fetched, source: 'fetched' }] : []),
    { file: SYSTEM_LIBRARY, source: 'system' },
  ];
  t.deepEqual(libraryCandidates({}), expected);
});

test('without .unicorn/ the CLI falls back to the system\'s Unicorn with one warning line', (t) => {
  // A copy of the built CLI in a directory with no .unicorn/ above it.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crashlab-fallback-'));
  try {
    for (const f of ['bin/crashlab', 'bin/package.json', 'dist/crashlab.cjs', 'dist/crashlab.cjs.cache', 'package.json']) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const env = { ...process.env, CRASHLAB_LIBUNICORN: '' };
    const r = spawnSync(process.execPath, [path.join(dir, 'bin/crashlab'), 'emu', path.join(ROOT, guest('rv64', 'null-write'))], { encoding: 'utf8', env });
    t.is(r.status, 139);
    const lines = r.stderr.split('\n').filter((l) => l.includes('engine:'));
    t.is(lines.length, 1, r.stderr);
    t.regex(lines[0]!, /engine: the system's Unicorn 2\.0\.\d+, not 2\.1 \(Unicorn 2\.1 is not in \.unicorn\/: run scripts\/setup\.sh\); guests run slower/);
    t.regex(r.stderr, /^#0  0x000000000001122e in bt_leaf\+0x1a at src\/null-write\.c:7:8$/m);
    const v = spawnSync(process.execPath, [path.join(dir, 'bin/crashlab'), '--version'], { encoding: 'utf8', env });
    t.regex(v.stdout, /^engine: Unicorn 2\.0\.\d+ \(system: libunicorn\.so\.2\), slow path: no virtual TLB$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
