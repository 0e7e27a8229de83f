// `crashlab --version` and the JSON report name the engine; the library is chosen as
// src/emu/library.ts says (CRASHLAB_LIBUNICORN, else .unicorn/, else the system's).

import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
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
