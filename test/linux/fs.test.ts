// The --fs sandbox's path resolution on a real scratch tree: chroot semantics for "..",
// absolute and relative links, link loops, over-long names, and the cache the replay reads.

import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunInputs, Sandbox, type FsNode } from '../../src/linux/fs.js';

function tree(): { dir: string; root: string; sandbox: Sandbox; inputs: RunInputs } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crashlab-sandbox-'));
  const root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
  writeFileSync(path.join(root, 'a', 'b', 'f.txt'), 'inside');
  writeFileSync(path.join(dir, 'outside.txt'), 'outside');
  symlinkSync('/a/b', path.join(root, 'abs')); // absolute: resolved inside the root
  symlinkSync('../../outside.txt', path.join(root, 'a', 'up')); // climbs above the root
  symlinkSync('loop2', path.join(root, 'loop1'));
  symlinkSync('loop1', path.join(root, 'loop2'));
  const inputs = new RunInputs();
  return { dir, root, sandbox: new Sandbox(root, inputs), inputs };
}

const where = (r: FsNode | string) => (typeof r === 'string' ? r : `${r.kind} ${r.guestPath}`);

test('paths resolve inside the root; ".." stops there', (t) => {
  const s = tree();
  try {
    t.is(where(s.sandbox.resolve('/a/b/f.txt', '/', true)), 'file /a/b/f.txt');
    t.is(where(s.sandbox.resolve('b/f.txt', '/a', true)), 'file /a/b/f.txt');
    t.is(where(s.sandbox.resolve('/../../../a/./b/../b/f.txt', '/', true)), 'file /a/b/f.txt');
    t.is(where(s.sandbox.resolve('/', '/', true)), 'dir /');
    t.is(where(s.sandbox.resolve('../outside.txt', '/', true)), 'ENOENT');
    t.is(where(s.sandbox.resolve('/a/b/f.txt/x', '/', true)), 'ENOTDIR');
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('symbolic links are followed inside the root, never out of it', (t) => {
  const s = tree();
  try {
    t.is(where(s.sandbox.resolve('/abs/f.txt', '/', true)), 'file /a/b/f.txt');
    t.is(where(s.sandbox.resolve('/abs', '/', false)), 'symlink /abs', 'the last component is not followed when asked');
    t.is(where(s.sandbox.resolve('/a/up', '/', true)), 'ENOENT', '../../outside.txt from /a is /outside.txt inside the root');
    t.is(where(s.sandbox.resolve('/loop1', '/', true)), 'ELOOP');
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('over-long names are ENAMETOOLONG; no root means nothing exists', (t) => {
  const s = tree();
  try {
    t.is(where(s.sandbox.resolve('/' + 'x'.repeat(256), '/', true)), 'ENAMETOOLONG');
    t.is(where(s.sandbox.resolve('/a'.repeat(2100), '/', true)), 'ENAMETOOLONG');
    const none = new Sandbox(null, new RunInputs());
    t.false(none.enabled);
    t.is(where(none.resolve('/', '/', true)), 'ENOENT');
    t.is(where(none.resolve(s.root, '/', true)), 'ENOENT');
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('file contents are read once and kept for the replay, even if the host file changes', (t) => {
  const s = tree();
  try {
    const node = s.sandbox.resolve('/a/b/f.txt', '/', true) as FsNode;
    t.is(new TextDecoder().decode(s.sandbox.contents(node) as Uint8Array), 'inside');
    writeFileSync(path.join(s.root, 'a', 'b', 'f.txt'), 'changed');
    const replay = new Sandbox(s.root, s.inputs);
    t.is(new TextDecoder().decode(replay.contents(node) as Uint8Array), 'inside');
    t.deepEqual(
      (s.sandbox.list(s.sandbox.resolve('/', '/', true) as FsNode) as { name: string }[]).map((e) => e.name),
      ['a', 'abs', 'loop1', 'loop2'],
    );
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});
