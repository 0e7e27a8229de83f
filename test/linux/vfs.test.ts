// The guest's file system on its own (src/linux/vfs/): path resolution with chroot
// semantics over a real host directory (".." stops at the root, links are resolved inside,
// loops and over-long names), the overlay's copy-up, whiteouts, opaque and moved
// directories, the --fs-limit accounting, the replay's record of the lower layer, and a
// seeded fuzz of the resolver with hostile links that must never name anything outside.

import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunInputs } from '../../src/linux/fs.js';
import { FsContext } from '../../src/linux/vfs/context.js';
import { BLOCK, NAME_COST } from '../../src/linux/vfs/data.js';
import { collectChanges } from '../../src/linux/vfs/export.js';
import { DirInode, FileInode, SymlinkInode, type Inode } from '../../src/linux/vfs/inode.js';
import { HostDirLayer } from '../../src/linux/vfs/layer.js';
import { Vfs, type Where } from '../../src/linux/vfs/vfs.js';
import { rng } from '../helpers/rng.js';
import { snapshot } from '../helpers/tree.js';

interface Fixture {
  dir: string;
  root: string;
  inputs: RunInputs;
  layer: HostDirLayer;
  vfs: Vfs;
  w: Where;
}

/** <tmp>/root (the lower layer) with a/b/f.txt and links; <tmp>/outside.txt must stay out of reach. */
function fixture(limit = 1 << 20): Fixture {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crashlab-vfs-'));
  const root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
  writeFileSync(path.join(root, 'a', 'b', 'f.txt'), 'inside');
  writeFileSync(path.join(root, 'top.txt'), 'top');
  writeFileSync(path.join(dir, 'outside.txt'), 'outside');
  symlinkSync('/a/b', path.join(root, 'abs')); // absolute: resolved inside the root
  symlinkSync('../../outside.txt', path.join(root, 'a', 'up')); // climbs above the root
  symlinkSync(path.join(dir, 'outside.txt'), path.join(root, 'hostabs')); // the host path itself
  symlinkSync('loop2', path.join(root, 'loop1'));
  symlinkSync('loop1', path.join(root, 'loop2'));
  const inputs = new RunInputs();
  const layer = new HostDirLayer(root, 'fs', inputs);
  let clock = 0n;
  const vfs = new Vfs({ layers: [layer], limit, now: () => 1_704_067_200_000_000_000n + (clock += 1000n), epochNs: 1_704_067_200_000_000_000n, mounts: {} });
  const ctx = new FsContext(vfs.root, vfs.root);
  return { dir, root, inputs, layer, vfs, w: { ctx, base: vfs.root } };
}

const where = (r: Inode | string) => (typeof r === 'string' ? r : `${r.kind} ${r.path()}`);
const text = (f: Inode | string) => new TextDecoder().decode((f as FileInode).read(0, 1 << 16) as Uint8Array);

function withFixture(t: { teardown(fn: () => void): void }, limit?: number): Fixture {
  const f = fixture(limit);
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  return f;
}

test('paths resolve inside the root; ".." stops there', (t) => {
  const { vfs, w } = withFixture(t);
  t.is(where(vfs.resolve(w, '/a/b/f.txt', true)), 'file /a/b/f.txt');
  t.is(where(vfs.resolve({ ...w, base: vfs.resolve(w, '/a', true) as DirInode }, 'b/f.txt', true)), 'file /a/b/f.txt');
  t.is(where(vfs.resolve(w, '/../../../a/./b/../b/f.txt', true)), 'file /a/b/f.txt');
  t.is(where(vfs.resolve(w, '/', true)), 'dir /');
  t.is(where(vfs.resolve(w, '../outside.txt', true)), 'ENOENT');
  t.is(where(vfs.resolve(w, '/a/b/f.txt/x', true)), 'ENOTDIR');
  t.is(where(vfs.resolve(w, '/a/b/f.txt/', true)), 'ENOTDIR');
  t.is(where(vfs.resolve(w, '', true)), 'ENOENT');
});

test('symbolic links are followed inside the root, never out of it', (t) => {
  const { vfs, w } = withFixture(t);
  t.is(where(vfs.resolve(w, '/abs/f.txt', true)), 'file /a/b/f.txt');
  t.is(where(vfs.resolve(w, '/abs', false)), 'symlink /abs', 'the last component is not followed when asked');
  t.is(where(vfs.resolve(w, '/a/up', true)), 'ENOENT', '../../outside.txt from /a is /outside.txt inside the root');
  t.is(where(vfs.resolve(w, '/hostabs', true)), 'ENOENT', "the host's own path means nothing inside");
  t.is(where(vfs.resolve(w, '/loop1', true)), 'ELOOP');
});

test('over-long names are ENAMETOOLONG; no layer means an empty root with /tmp', (t) => {
  const { vfs, w } = withFixture(t);
  t.is(where(vfs.resolve(w, '/' + 'x'.repeat(256), true)), 'ENAMETOOLONG');
  t.is(where(vfs.resolve(w, '/a'.repeat(2100), true)), 'ENAMETOOLONG');
  const empty = new Vfs({ layers: [], limit: 1 << 20, now: () => 0n, epochNs: 0n, mounts: {} });
  const ew: Where = { ctx: new FsContext(empty.root, empty.root), base: empty.root };
  t.deepEqual(empty.root.names(), ['tmp']);
  t.is(where(empty.resolve(ew, '/tmp', true)), 'dir /tmp');
  t.is((empty.resolve(ew, '/tmp', true) as Inode).perm, 0o1777);
  t.is(where(empty.resolve(ew, os.tmpdir(), true)), os.tmpdir() === '/tmp' ? 'dir /tmp' : 'ENOENT');
});

test('the lower layer is read once and kept for the replay, even if the host changes', (t) => {
  const { vfs, w, root, inputs } = withFixture(t);
  t.is(text(vfs.resolve(w, '/a/b/f.txt', true)), 'inside');
  writeFileSync(path.join(root, 'a', 'b', 'f.txt'), 'changed');
  writeFileSync(path.join(root, 'a', 'new.txt'), 'new');
  const replay = new Vfs({ layers: [new HostDirLayer(root, 'fs', inputs)], limit: 1 << 20, now: () => 0n, epochNs: 0n, mounts: {} });
  const rw: Where = { ctx: new FsContext(replay.root, replay.root), base: replay.root };
  t.is(text(replay.resolve(rw, '/a/b/f.txt', true)), 'inside');
  t.deepEqual(replay.root.names(), ['a', 'abs', 'hostabs', 'loop1', 'loop2', 'tmp', 'top.txt']);
});

test('writes copy a lower file up; the host file is never written', (t) => {
  const { vfs, w, dir, root, layer } = withFixture(t);
  const before = snapshot(dir);
  const f = vfs.resolve(w, '/top.txt', true) as FileInode;
  t.is(f.data, null, 'not copied up by a lookup');
  t.is(f.write(3, new TextEncoder().encode('+more')), 5);
  t.not(f.data, null);
  t.true(f.upper);
  t.is(text(f), 'top+more');
  t.is(readFileSync(path.join(root, 'top.txt'), 'utf8'), 'top');
  t.is(vfs.budget.used, BLOCK, 'one page copied up');
  t.is(vfs.mkdir(w, '/a/made', 0o777), null);
  t.is(vfs.unlink(w, '/a/b/f.txt'), null);
  t.is(vfs.rename(w, '/abs', w, '/a/abs2', 0), null);
  t.deepEqual(snapshot(dir), before, 'nothing on the host changed');
  t.true(layer.list(['a']) instanceof Array);
});

test('deleting a lower entry leaves a whiteout; a directory made in its place does not show the lower one', (t) => {
  const { vfs, w } = withFixture(t);
  t.is(vfs.unlink(w, '/a/b/f.txt'), null);
  t.is(where(vfs.resolve(w, '/a/b/f.txt', true)), 'ENOENT');
  t.deepEqual((vfs.resolve(w, '/a/b', true) as DirInode).names(), []);
  t.is(vfs.rmdir(w, '/a/b'), null);
  t.is(vfs.mkdir(w, '/a/b', 0o755), null);
  const b = vfs.resolve(w, '/a/b', true) as DirInode;
  t.deepEqual(b.names(), []);
  t.true((b.asOverlay()!).opaque);
  t.is(vfs.rmdir(w, '/a'), 'ENOTEMPTY');
  const changes = collectChanges(vfs).changes.map((c) => `${c.kind} ${c.path}`);
  t.deepEqual(changes, ['dir a', 'dir a/b']);
  t.true((collectChanges(vfs).changes[1] as { opaque: boolean }).opaque);
});

test('a renamed lower directory keeps its contents and is written whole by --fs-out', (t) => {
  const { vfs, w } = withFixture(t);
  t.is(vfs.rename(w, '/a', w, '/moved', 0), null);
  t.is(text(vfs.resolve(w, '/moved/b/f.txt', true)), 'inside');
  t.is(where(vfs.resolve(w, '/a', true)), 'ENOENT');
  t.deepEqual(collectChanges(vfs).changes.map((c) => `${c.kind} ${c.path}`), ['whiteout .wh.a', 'dir moved', 'dir moved/b', 'file moved/b/f.txt', 'symlink moved/up']);
});

test('renameat2 flags, and the errors of rename, link and unlink', (t) => {
  const { vfs, w } = withFixture(t);
  t.is(vfs.rename(w, '/top.txt', w, '/abs', 1), 'EEXIST', 'RENAME_NOREPLACE');
  t.is(vfs.rename(w, '/top.txt', w, '/nothing', 2), 'ENOENT', 'RENAME_EXCHANGE needs both');
  t.is(vfs.rename(w, '/top.txt', w, '/abs', 2), null);
  t.is(where(vfs.resolve(w, '/top.txt', false)), 'symlink /top.txt');
  t.is(where(vfs.resolve(w, '/abs', false)), 'file /abs');
  t.is(vfs.rename(w, '/a', w, '/a/b/c', 0), 'EINVAL');
  t.is(vfs.rename(w, '/.', w, '/x', 0), 'EBUSY');
  t.is(vfs.rename(w, '/top.txt', w, '/top.txt', 4), 'EPERM', 'RENAME_WHITEOUT needs CAP_MKNOD');
  t.is(vfs.link(vfs.resolve(w, '/a', true) as Inode, w, '/a2'), 'EPERM');
  t.is(vfs.unlink(w, '/a'), 'EISDIR');
  t.is(vfs.rmdir(w, '/'), 'EBUSY');
  t.is(vfs.rmdir(w, '/a/..'), 'ENOTEMPTY');
  t.is(vfs.rmdir(w, '/a/.'), 'EINVAL');
  t.is(vfs.mkdir(w, '/a/b/', 0o755), 'EEXIST');
  t.is(vfs.symlink('', w, '/empty'), 'ENOENT');
  t.is(vfs.mknod(w, '/dev-null', 0o020666), 'EPERM');
});

test('--fs-limit: pages and names are charged, ENOSPC past the limit, and given back', (t) => {
  const limit = 16 * BLOCK;
  const { vfs, w } = withFixture(t, limit);
  const made = vfs.open(w, '/big', { flags: 0o100 | 2, mode: 0o644, nofollow: 0o400000 });
  if (typeof made === 'string') return t.fail(made);
  const f = made.inode as FileInode;
  t.is(vfs.budget.used, NAME_COST);
  // A hole costs nothing; st_blocks counts only what was written.
  t.is(f.truncate(1 << 30), null);
  t.is(f.blocks, 0);
  t.is(f.write(0, new Uint8Array(100 * BLOCK)), 15 * BLOCK, "a short write: the name's 1 KiB leaves room for 15 pages");
  t.is(f.write(100 * BLOCK, new Uint8Array(1)), 'ENOSPC');
  // 3 KiB are left: three names, not four.
  for (const d of ['/d1', '/d2', '/d3']) t.is(vfs.mkdir(w, d, 0o755), null);
  t.is(vfs.mkdir(w, '/d4', 0o755), 'ENOSPC');
  for (const d of ['/d1', '/d2', '/d3']) t.is(vfs.rmdir(w, d), null);
  t.is(vfs.statfs(f).bfree, 0n);
  t.is(f.truncate(0), null);
  t.is(vfs.budget.used, NAME_COST);
  t.is(vfs.unlink(w, '/big'), null);
  t.is(vfs.budget.used, 0);
  t.is(vfs.unlink(w, '/top.txt'), null, 'a whiteout');
  t.is(vfs.budget.used, NAME_COST);
});

test('an unlinked file keeps its pages while open, and frees them with the last reference', (t) => {
  const { vfs, w } = withFixture(t);
  const made = vfs.open(w, '/tmp/x', { flags: 0o100 | 2, mode: 0o600, nofollow: 0o400000 });
  if (typeof made === 'string') return t.fail(made);
  const f = made.inode as FileInode;
  f.opens++;
  f.write(0, new Uint8Array(3 * BLOCK));
  t.is(vfs.unlink(w, '/tmp/x'), null);
  t.is(f.path(), '/tmp/x (deleted)');
  t.is(vfs.budget.used, 3 * BLOCK);
  f.opens--;
  f.release();
  t.is(vfs.budget.used, 0);
});

test('open with O_CREAT follows a dangling link and makes its target inside the root', (t) => {
  const { vfs, w, dir } = withFixture(t);
  const before = snapshot(dir);
  t.is(vfs.symlink('/made-by-link', w, '/tmp/dangling'), null);
  const r = vfs.open(w, '/tmp/dangling', { flags: 0o100 | 1, mode: 0o644, nofollow: 0o400000 });
  if (typeof r === 'string') return t.fail(r);
  t.true(r.created);
  t.is(where(r.inode), 'file /made-by-link');
  t.is(vfs.open(w, '/tmp/dangling', { flags: 0o100 | 0o200 | 1, mode: 0o644, nofollow: 0o400000 }), 'EEXIST');
  t.deepEqual(snapshot(dir), before);
});

test('seeded fuzz: hostile paths and links never name anything outside the guest tree', (t) => {
  const { vfs, w, dir, layer } = withFixture(t, 4 << 20);
  const before = snapshot(dir);
  const asked: string[][] = [];
  for (const op of ['stat', 'list', 'read', 'readlink'] as const) {
    const orig = layer[op].bind(layer) as (p: readonly string[]) => unknown;
    (layer as unknown as Record<string, unknown>)[op] = (parts: readonly string[]) => {
      asked.push([...parts]);
      return orig(parts);
    };
  }
  const next = rng(0x5eed_f5);
  const outside = path.join(dir, 'outside.txt');
  const pieces = ['..', '.', '', 'a', 'b', 'f.txt', 'abs', 'up', 'hostabs', 'loop1', 'tmp', 'l0', 'l1', 'l2', 'x'.repeat(255), 'y'.repeat(256), outside.slice(1), '...', ' ', '\\', '%2e%2e'];
  const randomPath = () => {
    const n = 1 + (next() % 8);
    const parts = Array.from({ length: n }, () => pieces[next() % pieces.length]!);
    return (next() % 2 ? '/' : '') + parts.join('/') + (next() % 5 === 0 ? '/' : '');
  };
  let resolved = 0;
  for (let i = 0; i < 3000; i++) {
    const p = randomPath();
    // The guest makes links anywhere it can, pointing anywhere: outside, up, at the host's own paths.
    if (i % 10 === 0) vfs.symlink(next() % 2 ? outside : randomPath() || '/', w, `/tmp/l${next() % 3}`);
    if (i % 7 === 0) vfs.mkdir(w, randomPath(), 0o755);
    if (i % 13 === 0) vfs.rename(w, randomPath(), w, randomPath(), 0);
    const r = vfs.resolve(w, p, next() % 2 === 0);
    if (typeof r === 'string') {
      t.true(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG', 'EACCES'].includes(r), `${p}: ${r}`);
      continue;
    }
    resolved++;
    // Whatever it found is inside the guest tree: its own path leads back to it.
    const again = vfs.resolve(w, r.path(), false);
    t.is(again, r, `${p} -> ${r.path()}`);
    if (r instanceof FileInode) t.notRegex(text(r), /^outside$/);
    if (r instanceof SymlinkInode) t.pass();
  }
  t.true(resolved > 300, `${resolved} paths resolved`);
  // The layer was only ever asked about plain names below its root.
  t.true(asked.every((parts) => parts.every((c) => c !== '' && c !== '.' && c !== '..' && !c.includes('/'))), 'no "..", "." or "/" reached the host');
  t.deepEqual(snapshot(dir), before, 'the host tree is untouched');
});

test('several lower layers merge as overlayfs merges them: directories join, the top entry hides the ones below, a non-directory ends the merge', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crashlab-layers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const top = path.join(dir, 'top');
  const bottom = path.join(dir, 'bottom');
  mkdirSync(path.join(top, 'lib'), { recursive: true });
  mkdirSync(path.join(bottom, 'lib'), { recursive: true });
  mkdirSync(path.join(bottom, 'etc', 'deep'), { recursive: true });
  writeFileSync(path.join(top, 'lib', 'libtop.so'), 'top');
  writeFileSync(path.join(top, 'lib', 'same.so'), 'from top');
  writeFileSync(path.join(bottom, 'lib', 'same.so'), 'from bottom');
  writeFileSync(path.join(bottom, 'lib', 'libc.so.6'), 'libc');
  writeFileSync(path.join(top, 'etc'), 'a file hides the directory below');
  const inputs = new RunInputs();
  const vfs = new Vfs({ layers: [new HostDirLayer(top, 'fs', inputs), new HostDirLayer(bottom, 'sysroot', inputs)], limit: 1 << 20, now: () => 0n, epochNs: 0n, mounts: {} });
  const w: Where = { ctx: new FsContext(vfs.root, vfs.root), base: vfs.root };
  t.deepEqual((vfs.resolve(w, '/lib', true) as DirInode).names(), ['libc.so.6', 'libtop.so', 'same.so']);
  t.is(text(vfs.resolve(w, '/lib/same.so', true)), 'from top');
  t.is(text(vfs.resolve(w, '/lib/libc.so.6', true)), 'libc');
  t.is(where(vfs.resolve(w, '/etc/deep', true)), 'ENOTDIR');
  t.is(vfs.unlink(w, '/lib/same.so'), null);
  t.is(where(vfs.resolve(w, '/lib/same.so', true)), 'ENOENT', 'the whiteout hides every layer');
  t.deepEqual(collectChanges(vfs).changes.map((c) => `${c.kind} ${c.path}`), ['dir lib', 'whiteout lib/.wh.same.so']);
});
