// /proc: made by crashlab from the guest's own state (nothing of the host's /proc is
// visible), formatted as Linux 6.1 prints it (fs/proc/).
//
// /proc/self is a link to /proc/<pid> of the process asking (ProcSource.current), and
// every /proc/<pid> file is generated from that process's ProcessView when it is read:
// a process model with several processes gives each its view and nothing here changes.
// Per process: exe, cwd and root (magic links to the inode itself), fd/ (one magic link
// per descriptor), cmdline, environ, auxv (the vector the loader built), maps (from the
// address space), status, stat, statm, comm and mounts. System-wide: cpuinfo (the engine's
// CPU model), meminfo (--mem-limit and what is mapped, as sysinfo reports them), stat,
// uptime, loadavg, version, mounts and a few /proc/sys entries programs read.

import type { Arch } from '../../arch/index.js';
import type { Errno } from '../errno.js';
import type { OpenFile } from '../files/file.js';
import { InodeFile, SnapshotFile } from '../files/vfs-files.js';
import { CLOCK_EPOCH_SEC, GUEST_GID, GUEST_UID, KERNEL } from '../ids.js';
import type { AddressSpace, Mapping } from '../mm.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../mm.js';
import { S_IFMT, type StatInfo } from '../structs.js';
import { cpuinfo } from './cpuinfo.js';
import type { FsContext } from './context.js';
import { FileInode, Inode, inodeOf, SymlinkInode, SyntheticDir, type FsCore, type InodeKind } from './inode.js';
import type { MountBuilder } from './vfs.js';

/** st_dev of /proc (procfs, 0:21). */
export const PROC_DEV = 0x15n;

/** The running program: its guest path, its bytes (open /proc/self/exe) and its segments. */
export interface ExeImage {
  path: string;
  inode: FileInode;
  segments: readonly { vaddr: bigint; offset: bigint; filesz: bigint; memsz: bigint }[];
}

/** What /proc/<pid> shows of one process. */
export interface ProcessView {
  readonly pid: number;
  readonly ppid: number;
  readonly ctx: FsContext;
  readonly exe: ExeImage;
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly mem: AddressSpace;
  /** The auxiliary vector the loader built, as the guest's words. */
  auxv(): Uint8Array;
  fds(): { fd: number; file: OpenFile }[];
  signals(): { pending: bigint; blocked: bigint; ignored: bigint; caught: bigint };
  threads(): number;
}

/** Machine-wide facts for /proc's own files. */
export interface SystemView {
  arch: Arch;
  /** The Unicorn version the CPU model comes from ("2.0.1"). */
  engineVersion: string;
  /** --mem-limit: the machine's memory (sysinfo's totalram). */
  memTotal: bigint;
  /** Bytes mapped by every process now. */
  memUsed(): bigint;
  /** Bytes the file-system overlay holds (tmpfs pages count as Shmem). */
  fsUsed(): bigint;
  /** Monotonic nanoseconds since boot (the virtual clock). */
  uptimeNs(): bigint;
}

export interface ProcSource {
  current(): ProcessView;
  get(pid: number): ProcessView | undefined;
  pids(): number[];
  system: SystemView;
}

const enc = (s: string) => new TextEncoder().encode(s);

/** A /proc file: its text made by a function each time it is read from the start. */
export class GeneratedFile extends Inode {
  readonly kind = 'file';

  constructor(
    core: FsCore,
    path: string,
    readonly generate: () => Uint8Array,
    perm = 0o444,
    owner = 0,
  ) {
    super(core, inodeOf(path), perm, core.epoch, owner, owner);
    this.dev = PROC_DEV;
  }

  open(flags: number): OpenFile {
    return new SnapshotFile(this, flags, this.generate);
  }
}

/** A descriptor's file that is not the VFS's (a standard stream, a pipe): reopening it through /proc/self/fd shares it. */
export class OpenFileInode extends Inode {
  readonly kind: InodeKind;

  constructor(
    core: FsCore,
    readonly file: OpenFile,
  ) {
    const st = file.stat();
    super(core, st.ino, st.mode & 0o7777, st.time, st.uid, st.gid);
    const fmt = st.mode & S_IFMT;
    this.kind = fmt === 0o020000 ? 'chr' : fmt === 0o140000 ? 'sock' : fmt === 0o010000 ? 'fifo' : 'file';
    this.dev = st.dev;
    this.rdev = st.rdev;
  }

  override stat(): StatInfo {
    return this.file.stat();
  }
}

/** A link of /proc whose target is computed and which, followed, leads straight to an inode. */
class MagicLink extends SymlinkInode {
  constructor(
    core: FsCore,
    path: string,
    private readonly describe: () => string,
    private readonly to: () => Inode | Errno,
    owner: number,
  ) {
    super(core, inodeOf(path), core.epoch, null);
    this.uid = this.gid = owner;
    this.dev = PROC_DEV;
  }

  override target(): { target: string } {
    return { target: this.describe() };
  }

  override get size(): number {
    return 0;
  }

  override jump(): Inode | Errno {
    return this.to();
  }
}

/** The inode a descriptor's file is, for /proc/<pid>/fd/N. */
function inodeOfFile(core: FsCore, file: OpenFile): Inode {
  return file instanceof InodeFile ? file.inode : new OpenFileInode(core, file);
}

/** The target text of /proc/<pid>/fd/N. */
function fdTarget(file: OpenFile): string {
  if (file instanceof InodeFile) return file.path;
  return file.path || `anon_inode:[${file.constructor.name}]`;
}

export function procTree(source: ProcSource): MountBuilder {
  return (core) => {
    const perProcess = new Map<number, { view: ProcessView; dir: SyntheticDir }>();
    const file = (path: string, gen: () => string | Uint8Array, perm = 0o444, owner = 0) =>
      new GeneratedFile(core, path, () => {
        const g = gen();
        return typeof g === 'string' ? enc(g) : g;
      }, perm, owner);
    const dir = (path: string, children: () => ReadonlyMap<string, Inode>, perm = 0o555, owner = 0) => {
      const d = new SyntheticDir(core, inodeOf(path), children, PROC_DEV, perm);
      d.uid = d.gid = owner;
      return d;
    };
    const link = (path: string, target: string) => Object.assign(new SymlinkInode(core, inodeOf(path), core.epoch, target), { uid: 0, gid: 0, dev: PROC_DEV });

    const processDir = (v: ProcessView): SyntheticDir => {
      const base = `/proc/${v.pid}`;
      const own = GUEST_UID;
      const fdDir = dir(`${base}/fd`, () => new Map(v.fds().map(({ fd, file: f }) => [String(fd), new MagicLink(core, `${base}/fd/${fd}`, () => fdTarget(f), () => inodeOfFile(core, f), own)])), 0o500, own);
      const entries = new Map<string, Inode>([
        ['auxv', file(`${base}/auxv`, () => v.auxv(), 0o400, own)],
        ['cmdline', file(`${base}/cmdline`, () => nulJoined(v.argv), 0o444, own)],
        ['comm', file(`${base}/comm`, () => comm(v) + '\n', 0o644, own)],
        ['cwd', new MagicLink(core, `${base}/cwd`, () => v.ctx.cwd.path(), () => v.ctx.cwd, own)],
        ['environ', file(`${base}/environ`, () => nulJoined(v.env), 0o400, own)],
        ['exe', new MagicLink(core, `${base}/exe`, () => v.exe.path, () => v.exe.inode, own)],
        ['fd', fdDir],
        ['maps', file(`${base}/maps`, () => mapsText(v, source.system.arch.ptrSize), 0o444, own)],
        ['mounts', file(`${base}/mounts`, () => MOUNTS, 0o444, own)],
        ['root', new MagicLink(core, `${base}/root`, () => v.ctx.root.path(), () => v.ctx.root, own)],
        ['stat', file(`${base}/stat`, () => statText(v, source), 0o444, own)],
        ['statm', file(`${base}/statm`, () => statmText(v), 0o444, own)],
        ['status', file(`${base}/status`, () => statusText(v), 0o444, own)],
      ]);
      return dir(base, () => entries, 0o555, own);
    };
    const pidDir = (pid: number): SyntheticDir | undefined => {
      const v = source.get(pid);
      if (!v) return undefined;
      const known = perProcess.get(pid);
      if (known && known.view === v) return known.dir;
      const d = processDir(v);
      perProcess.set(pid, { view: v, dir: d });
      return d;
    };
    const sys = source.system;
    const fixed = new Map<string, Inode>([
      ['cpuinfo', file('/proc/cpuinfo', () => cpuinfo(sys.arch, sys.engineVersion))],
      ['loadavg', file('/proc/loadavg', () => `0.00 0.00 0.00 1/${source.pids().length} ${Math.max(...source.pids())}\n`)],
      ['meminfo', file('/proc/meminfo', () => meminfoText(sys))],
      ['mounts', link('/proc/mounts', 'self/mounts')],
      ['stat', file('/proc/stat', () => procStatText(source))],
      ['uptime', file('/proc/uptime', () => uptimeText(sys.uptimeNs()))],
      ['version', file('/proc/version', () => `${KERNEL.sysname} version ${KERNEL.release} (crashlab) ${KERNEL.version}\n`)],
      ['sys', sysTree(core, file, dir)],
    ]);
    return dir('/proc', () => {
      const m = new Map<string, Inode>();
      for (const pid of source.pids()) {
        const d = pidDir(pid);
        if (d) m.set(String(pid), d);
      }
      const self = String(source.current().pid);
      m.set('self', new MagicLink(core, '/proc/self', () => self, () => pidDir(Number(self)) ?? 'ENOENT', 0));
      for (const [k, v] of fixed) m.set(k, v);
      return m;
    });
  };
}

type FileMaker = (path: string, gen: () => string | Uint8Array, perm?: number, owner?: number) => GeneratedFile;
type DirMaker = (path: string, children: () => ReadonlyMap<string, Inode>, perm?: number, owner?: number) => SyntheticDir;

/** /proc/sys: the few values C libraries and runtimes read. */
function sysTree(_core: FsCore, file: FileMaker, dir: DirMaker): SyntheticDir {
  const kernel = new Map<string, Inode>([
    ['hostname', file('/proc/sys/kernel/hostname', () => `${KERNEL.hostname}\n`, 0o644)],
    ['ngroups_max', file('/proc/sys/kernel/ngroups_max', () => '65536\n')],
    ['osrelease', file('/proc/sys/kernel/osrelease', () => `${KERNEL.release}\n`)],
    ['ostype', file('/proc/sys/kernel/ostype', () => `${KERNEL.sysname}\n`)],
    ['pid_max', file('/proc/sys/kernel/pid_max', () => '4194304\n', 0o644)],
    ['version', file('/proc/sys/kernel/version', () => `${KERNEL.version}\n`)],
  ]);
  const vm = new Map<string, Inode>([
    ['max_map_count', file('/proc/sys/vm/max_map_count', () => '65530\n', 0o644)],
    ['overcommit_memory', file('/proc/sys/vm/overcommit_memory', () => '0\n', 0o644)],
  ]);
  const kdir = dir('/proc/sys/kernel', () => kernel);
  const vdir = dir('/proc/sys/vm', () => vm);
  const top = new Map<string, Inode>([['kernel', kdir], ['vm', vdir]]);
  return dir('/proc/sys', () => top);
}

const MOUNTS = 'overlay / overlay rw,noatime 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\ndevtmpfs /dev devtmpfs rw,nosuid,relatime,mode=755 0 0\n';

function nulJoined(list: readonly string[]): Uint8Array {
  return enc(list.map((s) => s + '\0').join(''));
}

/** The task's name: the program file's name, cut to TASK_COMM_LEN - 1 bytes. */
function comm(v: ProcessView): string {
  const base = v.exe.path.slice(v.exe.path.lastIndexOf('/') + 1);
  return Buffer.from(base).subarray(0, 15).toString('utf8');
}

// ---- /proc/<pid>/maps (fs/proc/task_mmu.c show_map_vma) ----

interface MapsLine {
  start: bigint;
  end: bigint;
  prot: number;
  shared: boolean;
  offset: bigint;
  dev: bigint;
  ino: bigint;
  /** '' for an anonymous mapping without a label. */
  name: string;
}

const PAGE = 0x1000n;
const alignDown = (v: bigint) => v & ~(PAGE - 1n);
const alignUp = (v: bigint) => (v + PAGE - 1n) & ~(PAGE - 1n);

/** Split an image mapping into the parts that map the program file and the anonymous rest (bss), as execve maps them. */
function imageLines(m: Mapping, exe: ExeImage): MapsLine[] {
  // Each PT_LOAD maps its file pages, then its bss pages anonymously; a later segment's pages replace an earlier one's.
  const pages = new Map<bigint, bigint | null>();
  for (const s of exe.segments) {
    const fileEnd = alignUp(s.vaddr + s.filesz);
    for (let p = alignDown(s.vaddr); p < alignUp(s.vaddr + s.memsz); p += PAGE) {
      if (p < m.start || p >= m.end) continue;
      pages.set(p, p < fileEnd ? alignDown(s.offset) + (p - alignDown(s.vaddr)) : null);
    }
  }
  const out: MapsLine[] = [];
  for (let p = m.start; p < m.end; p += PAGE) {
    const off = pages.get(p) ?? null;
    out.push(off === null
      ? { start: p, end: p + PAGE, prot: m.prot, shared: false, offset: 0n, dev: 0n, ino: 0n, name: '' }
      : { start: p, end: p + PAGE, prot: m.prot, shared: false, offset: off, dev: exe.inode.dev, ino: exe.inode.ino, name: exe.path });
  }
  return out;
}

function mapsLines(v: ProcessView): MapsLine[] {
  const raw: MapsLine[] = [];
  for (const m of v.mem.mappings) {
    if (m.kind === 'image') raw.push(...imageLines(m, v.exe));
    else if (m.file) {
      const f = m.file.file;
      raw.push({ start: m.start, end: m.end, prot: m.prot, shared: m.file.shared, offset: m.file.offset, dev: f.dev, ino: f.ino, name: f.mapsPath() });
    } else raw.push({ start: m.start, end: m.end, prot: m.prot, shared: false, offset: 0n, dev: 0n, ino: 0n, name: m.kind === 'stack' ? '[stack]' : '' });
  }
  // Adjacent pieces Linux would keep as one vma: the same flags, and the same file at consecutive offsets, or both anonymous.
  const merged: MapsLine[] = [];
  for (const l of raw) {
    const last = merged[merged.length - 1];
    const anon = (x: MapsLine) => x.ino === 0n && x.dev === 0n;
    if (
      last && last.end === l.start && last.prot === l.prot && last.shared === l.shared && last.name === l.name &&
      (anon(l) ? anon(last) : last.ino === l.ino && last.offset + (last.end - last.start) === l.offset)
    ) last.end = l.end;
    else merged.push({ ...l });
  }
  // The brk area: an anonymous vma overlapping [start_brk, brk] is labelled [heap].
  const { brkStart, programBreak } = v.mem;
  for (const l of merged) if (l.name === '' && l.ino === 0n && l.start <= programBreak && l.end >= brkStart) l.name = '[heap]';
  return merged;
}

/** seq_put_hex_ll: at least `width` lowercase hex digits. */
const hex = (v: bigint, width: number) => v.toString(16).padStart(width, '0');

export function mapsText(v: ProcessView, ptrSize: 4 | 8): string {
  const width = 25 + ptrSize * 6 - 1;
  let out = '';
  for (const l of mapsLines(v)) {
    const perms = (l.prot & PROT_READ ? 'r' : '-') + (l.prot & PROT_WRITE ? 'w' : '-') + (l.prot & PROT_EXEC ? 'x' : '-') + (l.shared ? 's' : 'p');
    let line = `${hex(l.start, 8)}-${hex(l.end, 8)} ${perms} ${hex(l.offset, 8)} ${hex(l.dev >> 8n, 2)}:${hex(l.dev & 0xffn, 2)} ${l.ino} `;
    if (l.name) line = line.padEnd(width, ' ') + ' ' + l.name;
    out += line + '\n';
  }
  return out;
}

// ---- /proc/<pid>/status, stat, statm (fs/proc/array.c, task_mmu.c task_mem) ----

interface MemFigures {
  total: bigint;
  data: bigint;
  stack: bigint;
  exe: bigint;
  file: bigint;
  anon: bigint;
}

/** Sizes in bytes; every mapped page counts as resident (crashlab does not track which were touched). */
function memFigures(mem: AddressSpace): MemFigures {
  const f: MemFigures = { total: 0n, data: 0n, stack: 0n, exe: 0n, file: 0n, anon: 0n };
  for (const m of mem.mappings) {
    const n = m.end - m.start;
    f.total += n;
    if (m.kind === 'stack') f.stack += n;
    else if (m.prot & PROT_EXEC) f.exe += n;
    else if (m.prot & PROT_WRITE && !m.file?.shared) f.data += n;
    if (m.file || m.kind === 'image') f.file += n;
    else f.anon += n;
  }
  return f;
}

function statusText(v: ProcessView): string {
  const m = memFigures(v.mem);
  const kb = (b: bigint) => String(b >> 10n).padStart(8, ' ') + ' kB';
  const sig = v.signals();
  const set = (x: bigint) => hex(x, 16);
  return [
    `Name:\t${comm(v)}`,
    `Umask:\t${v.ctx.umask.toString(8).padStart(4, '0')}`,
    'State:\tR (running)',
    `Tgid:\t${v.pid}`,
    'Ngid:\t0',
    `Pid:\t${v.pid}`,
    `PPid:\t${v.ppid}`,
    'TracerPid:\t0',
    `Uid:\t${GUEST_UID}\t${GUEST_UID}\t${GUEST_UID}\t${GUEST_UID}`,
    `Gid:\t${GUEST_GID}\t${GUEST_GID}\t${GUEST_GID}\t${GUEST_GID}`,
    'FDSize:\t64',
    `Groups:\t${GUEST_GID} `,
    `NStgid:\t${v.pid}`,
    `NSpid:\t${v.pid}`,
    `NSpgid:\t${v.pid}`,
    `NSsid:\t${v.pid}`,
    `VmPeak:\t${kb(m.total)}`,
    `VmSize:\t${kb(m.total)}`,
    `VmLck:\t${kb(0n)}`,
    `VmPin:\t${kb(0n)}`,
    `VmHWM:\t${kb(m.total)}`,
    `VmRSS:\t${kb(m.total)}`,
    `RssAnon:\t${kb(m.anon)}`,
    `RssFile:\t${kb(m.file)}`,
    `RssShmem:\t${kb(0n)}`,
    `VmData:\t${kb(m.data)}`,
    `VmStk:\t${kb(m.stack)}`,
    `VmExe:\t${kb(m.exe)}`,
    `VmLib:\t${kb(0n)}`,
    `VmPTE:\t${kb(((m.total >> 12n) * 8n + 4095n) & ~4095n)}`,
    `VmSwap:\t${kb(0n)}`,
    `HugetlbPages:\t${kb(0n)}`,
    'CoreDumping:\t0',
    'THP_enabled:\t1',
    `Threads:\t${v.threads()}`,
    'SigQ:\t0/63704',
    `SigPnd:\t${set(sig.pending)}`,
    `ShdPnd:\t${set(0n)}`,
    `SigBlk:\t${set(sig.blocked)}`,
    `SigIgn:\t${set(sig.ignored)}`,
    `SigCgt:\t${set(sig.caught)}`,
    `CapInh:\t${set(0n)}`,
    `CapPrm:\t${set(0n)}`,
    `CapEff:\t${set(0n)}`,
    `CapBnd:\t${set((1n << 41n) - 1n)}`,
    `CapAmb:\t${set(0n)}`,
    'NoNewPrivs:\t0',
    'Seccomp:\t0',
    'Seccomp_filters:\t0',
    'Speculation_Store_Bypass:\tunknown',
    'SpeculationIndirectBranch:\tunknown',
    'Cpus_allowed:\t1',
    'Cpus_allowed_list:\t0',
    'Mems_allowed:\t1',
    'Mems_allowed_list:\t0',
    'voluntary_ctxt_switches:\t0',
    'nonvoluntary_ctxt_switches:\t0',
    '',
  ].join('\n');
}

function statText(v: ProcessView, source: ProcSource): string {
  const m = memFigures(v.mem);
  const maps = v.mem.mappings;
  const code = maps.filter((x) => x.kind === 'image' && x.prot & PROT_EXEC);
  const data = maps.filter((x) => x.kind === 'image' && !(x.prot & PROT_EXEC));
  const stack = maps.find((x) => x.kind === 'stack');
  const sig = v.signals();
  const ticks = source.system.uptimeNs() / 10_000_000n;
  const fields: (string | number | bigint)[] = [
    v.pid, `(${comm(v)})`, 'R', v.ppid, v.pid, v.pid, 0, -1, 0x400000, 0, 0, 0, 0, ticks, 0, 0, 0, 20, 0, v.threads(), 0, 0,
    m.total, m.total >> 12n, (1n << 64n) - 1n, code[0]?.start ?? 0n, code[code.length - 1]?.end ?? 0n, stack ? stack.end : 0n, 0, 0,
    sig.pending & 0x7fffffffn, sig.blocked & 0x7fffffffn, sig.ignored & 0x7fffffffn, sig.caught & 0x7fffffffn, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0,
    data[0]?.start ?? 0n, data[data.length - 1]?.end ?? 0n, v.mem.brkStart, 0, 0, 0, 0, 0,
  ];
  return fields.join(' ') + '\n';
}

function statmText(v: ProcessView): string {
  const m = memFigures(v.mem);
  const pages = (b: bigint) => b >> 12n;
  return `${pages(m.total)} ${pages(m.total)} ${pages(m.file)} ${pages(m.exe)} 0 ${pages(m.data + m.stack)} 0\n`;
}

// ---- system-wide files ----

function meminfoText(sys: SystemView): string {
  const total = sys.memTotal;
  const used = sys.memUsed();
  const free = total > used ? total - used : 0n;
  const shmem = sys.fsUsed();
  const row = (name: string, bytes: bigint) => (name + ':').padEnd(16, ' ') + String(bytes >> 10n).padStart(8, ' ') + ' kB';
  return [
    row('MemTotal', total), row('MemFree', free), row('MemAvailable', free), row('Buffers', 0n), row('Cached', shmem),
    row('SwapCached', 0n), row('Active', used), row('Inactive', 0n), row('Active(anon)', used), row('Inactive(anon)', 0n),
    row('Active(file)', 0n), row('Inactive(file)', 0n), row('Unevictable', 0n), row('Mlocked', 0n), row('SwapTotal', 0n),
    row('SwapFree', 0n), row('Dirty', 0n), row('Writeback', 0n), row('AnonPages', used), row('Mapped', 0n), row('Shmem', shmem),
    row('KReclaimable', 0n), row('Slab', 0n), row('SReclaimable', 0n), row('SUnreclaim', 0n), row('KernelStack', 16n << 10n),
    row('PageTables', 0n), row('NFS_Unstable', 0n), row('Bounce', 0n), row('WritebackTmp', 0n), row('CommitLimit', total),
    row('Committed_AS', used), row('VmallocTotal', 0n), row('VmallocUsed', 0n), row('VmallocChunk', 0n), row('Percpu', 0n),
    'HugePages_Total:       0', 'HugePages_Free:        0', 'HugePages_Rsvd:        0', 'HugePages_Surp:        0',
    row('Hugepagesize', 2n << 20n), row('Hugetlb', 0n), '',
  ].join('\n');
}

function uptimeText(ns: bigint): string {
  const cs = ns / 10_000_000n;
  return `${cs / 100n}.${String(cs % 100n).padStart(2, '0')} 0.00\n`;
}

function procStatText(source: ProcSource): string {
  const zeros = (n: number) => Array(n).fill('0').join(' ');
  return [
    `cpu  ${zeros(10)}`, `cpu0 ${zeros(10)}`, 'intr 0', 'ctxt 0', `btime ${CLOCK_EPOCH_SEC}`,
    `processes ${source.pids().length}`, `procs_running 1`, 'procs_blocked 0', `softirq ${zeros(11)}`, '',
  ].join('\n');
}
