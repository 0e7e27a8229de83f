// --fs-out: the overlay's changes, written to a host directory after the run.
//
// The format is an OCI image layer's (image-spec layer.md, "Whiteouts"), unpacked:
// - every file, directory, symbolic link and hard link the guest created, and every lower
//   file it changed (contents, mode or times; a changed file is written whole), at its
//   path below DIR, with the guest's permission bits (set-id and sticky bits dropped;
//   directories keep u+rwx so the tree can be read and removed) and modification time;
// - a deleted lower entry as an empty file ".wh.<name>" in its directory;
// - a directory that replaced a deleted lower directory (its lower contents do not show
//   through) holds an empty ".wh..wh..opq";
// - directories above a change are written too (with their own mode and time).
// Nothing under /dev or /proc is written; FIFO and socket nodes cannot be made as files
// and are reported instead, as are paths longer than the host allows.
//
// Collecting (collectChanges) reads the overlay while the run's memory is still there
// (shared mappings are written back first); writing (writeChanges) happens once, after the
// report, from the first run only (never from the exact-pc replay).

import { closeSync, ftruncateSync, linkSync, lutimesSync, mkdirSync, openSync, readdirSync, statSync, symlinkSync, utimesSync, writeSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DirInode, FileInode, OverlayDir, SymlinkInode, type Inode, type Timespec } from './inode.js';
import type { Vfs } from './vfs.js';

export type Change =
  | { kind: 'dir'; path: string; perm: number; mtime: Timespec; atime: Timespec; opaque: boolean }
  | { kind: 'file'; path: string; perm: number; mtime: Timespec; atime: Timespec; size: number; extents: { off: number; bytes: Uint8Array }[] }
  | { kind: 'hardlink'; path: string; to: string }
  | { kind: 'symlink'; path: string; target: string; mtime: Timespec; atime: Timespec }
  | { kind: 'whiteout'; path: string; mtime: Timespec }
  | { kind: 'unwritable'; path: string; what: string };

/** Where each change goes, relative paths with "/" separators, in the order they are written. */
export interface OverlayChanges {
  changes: Change[];
}

interface Node {
  inode: Inode;
  path: string;
  parent: number;
  /** Written whatever its state: below a moved directory, its lower path is not its new one. */
  full: boolean;
  needed: boolean;
  whiteouts: string[];
}

/** The overlay's changes, read now (the caller writes shared mappings back first). */
export function collectChanges(vfs: Vfs): OverlayChanges {
  const nodes: Node[] = [];
  // Pre-order walk without recursion (directories may be nested as deep as --fs-limit allows).
  const stack: { inode: Inode; path: string; parent: number; full: boolean }[] = [{ inode: vfs.root, path: '', parent: -1, full: false }];
  while (stack.length) {
    const { inode, path, parent, full } = stack.pop()!;
    const index = nodes.length;
    const node: Node = { inode, path, parent, full, needed: parent >= 0 && (full || inode.upper), whiteouts: [] };
    nodes.push(node);
    const dir = inode instanceof OverlayDir ? inode : null;
    if (!dir || dir.nlink === 0) continue;
    const below = full || dir.redirected;
    if (!below) node.whiteouts = [...dir.whiteouts].sort();
    // A moved directory is written whole (its entries looked up from the lower layers too); any other only where it changed.
    const names = below ? dir.names() : [...dir.entries.keys()].sort();
    if (typeof names === 'string') continue;
    for (const name of [...names].reverse()) {
      if (dir.mounts.has(name)) continue;
      const child = dir.lookup(name);
      if (!child || typeof child === 'string') continue;
      stack.push({ inode: child, path: path ? `${path}/${name}` : name, parent: index, full: below });
    }
  }
  // A directory is written when it or anything below it is.
  for (let i = nodes.length - 1; i > 0; i--) {
    const n = nodes[i]!;
    if ((n.needed || n.whiteouts.length || (n.inode instanceof OverlayDir && n.inode.opaque && n.inode.upper)) && n.parent > 0) nodes[n.parent]!.needed = true;
    if (n.whiteouts.length) n.needed = true;
  }
  const changes: Change[] = [];
  const written = new Map<Inode, string>();
  for (const n of nodes.slice(1)) {
    if (!n.needed) {
      if (n.whiteouts.length === 0) continue;
    }
    const i = n.inode;
    const times = { mtime: i.mtime, atime: i.atime };
    if (i instanceof DirInode) {
      const opaque = i instanceof OverlayDir && i.opaque;
      changes.push({ kind: 'dir', path: n.path, perm: i.perm, ...times, opaque });
    } else if (written.has(i)) {
      changes.push({ kind: 'hardlink', path: n.path, to: written.get(i)! });
    } else if (i instanceof FileInode) {
      written.set(i, n.path);
      changes.push({ kind: 'file', path: n.path, perm: i.perm, ...times, size: i.size, extents: extentsOf(i) });
    } else if (i instanceof SymlinkInode) {
      const t = i.target();
      if (typeof t !== 'string') changes.push({ kind: 'symlink', path: n.path, target: t.target, ...times });
    } else changes.push({ kind: 'unwritable', path: n.path, what: i.kind === 'fifo' ? 'a FIFO' : i.kind === 'sock' ? 'a socket' : 'a device' });
    for (const w of n.whiteouts) changes.push({ kind: 'whiteout', path: `${n.path}/.wh.${w}`, mtime: i.mtime });
  }
  // Whiteouts in the root itself.
  const root = nodes[0]!.inode;
  changes.unshift(...nodes[0]!.whiteouts.map((w): Change => ({ kind: 'whiteout', path: `.wh.${w}`, mtime: root.mtime })));
  return { changes };
}

function extentsOf(f: FileInode): { off: number; bytes: Uint8Array }[] {
  if (f.data) return [...f.data.extents()];
  const bytes = f.read(0, f.size);
  return typeof bytes === 'string' ? [] : [{ off: 0, bytes }];
}

/** Why DIR cannot take --fs-out's tree (it must be missing or an empty directory, its parent existing), or null. */
export function checkOutDir(dir: string): string | null {
  let st;
  try {
    st = statSync(dir);
  } catch {
    try {
      if (!statSync(dirname(resolve(dir))).isDirectory()) return `${dirname(resolve(dir))} is not a directory`;
    } catch {
      return `${dirname(resolve(dir))} does not exist`;
    }
    return null;
  }
  if (!st.isDirectory()) return 'not a directory';
  try {
    if (readdirSync(dir).length) return 'not empty (--fs-out writes into an empty or new directory)';
  } catch {
    return 'cannot be read';
  }
  return null;
}

export interface WriteReport {
  written: number;
  /** Entries the host could not take, each "path: why". */
  skipped: string[];
}

const secs = (t: Timespec) => Number(t.sec) + t.nsec / 1e9;

/** Write the changes under dir (created if missing). Nothing is overwritten or followed: every entry is new. */
export function writeChanges(dir: string, { changes }: OverlayChanges): WriteReport {
  mkdirSync(dir, { recursive: true });
  const report: WriteReport = { written: 0, skipped: [] };
  const dirs: { host: string; perm: number; atime: Timespec; mtime: Timespec }[] = [];
  // Changes come in pre-order: everything below an entry that failed follows it at once.
  let failed: { prefix: string; index: number; below: number } | null = null;
  const closeFailed = () => {
    if (failed && failed.below) report.skipped[failed.index] += ` (and ${failed.below} entries below it)`;
    failed = null;
  };
  for (const c of changes) {
    const host = join(dir, c.path);
    if (failed) {
      if (c.path.startsWith(failed.prefix)) {
        failed.below++;
        continue;
      }
      closeFailed();
    }
    try {
      switch (c.kind) {
        case 'dir':
          mkdirSync(host, { mode: 0o700 });
          if (c.opaque) {
            const marker = join(host, '.wh..wh..opq');
            closeSync(openSync(marker, 'wx', 0o600));
            utimesSync(marker, secs(c.mtime), secs(c.mtime));
          }
          dirs.push({ host, perm: (c.perm & 0o777) | 0o700, atime: c.atime, mtime: c.mtime });
          break;
        case 'file': {
          const fd = openSync(host, 'wx', 0o600);
          try {
            for (const e of c.extents) writeSync(fd, e.bytes, 0, e.bytes.length, e.off);
            ftruncateSync(fd, c.size);
          } finally {
            closeSync(fd);
          }
          chmodSync(host, c.perm & 0o777);
          utimesSync(host, secs(c.atime), secs(c.mtime));
          break;
        }
        case 'hardlink':
          linkSync(join(dir, c.to), host);
          break;
        case 'symlink':
          symlinkSync(c.target, host);
          lutimesSync(host, secs(c.atime), secs(c.mtime));
          break;
        case 'whiteout':
          // An empty file, dated when its directory last changed (the deletion).
          closeSync(openSync(host, 'wx', 0o600));
          utimesSync(host, secs(c.mtime), secs(c.mtime));
          break;
        case 'unwritable':
          report.skipped.push(`${c.path}: ${c.what} cannot be written as a file`);
          continue;
      }
      report.written++;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      report.skipped.push(`${c.path}: ${code === 'ENAMETOOLONG' ? 'the path is longer than the host allows' : code}`);
      failed = { prefix: c.path + '/', index: report.skipped.length - 1, below: 0 };
    }
  }
  closeFailed();
  // Directories last, deepest first: their modes may forbid writing into them, and writing changes their times.
  for (const d of dirs.reverse()) {
    try {
      chmodSync(d.host, d.perm);
      utimesSync(d.host, secs(d.atime), secs(d.mtime));
    } catch {
      // already reported with the entry that failed
    }
  }
  return report;
}
