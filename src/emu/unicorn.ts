// Thin typed binding to the native Unicorn 2 library (libunicorn.so.2) through koffi.
//
// This is the only module that imports koffi. The library is loaded lazily on first use:
// Unicorn >= 2.1 from .unicorn/ (fetched by scripts/setup.sh), else the system's 2.0.1
// with one warning (engineWarning), or exactly CRASHLAB_LIBUNICORN (src/emu/library.ts).
// Guest addresses and register values are bigint (the TLB-fill hook, which runs on every
// TLB miss, gets a number where it fits). The normal run path installs no per-instruction
// JS hook; hooks are opt-in and each costs a JS call per event.
//
// What each hook costs on the fast path (Unicorn 2.1.4, virtual TLB with a fill hook, exit
// checks off; `node bench/engine-hooks.mjs`, CPU ns per iteration of an x86-64 store + load
// loop that costs 4.5 ns with no other hook):
// - onTlbFill: one JS call per TLB miss only, about 1.5 us each; hits cost nothing.
// - onCode(begin, end) on one address (a breakpoint): turns the exit checks back on for the
//   whole guest (9.2 ns, 2x, while any code, block or memory-access hook exists); only
//   blocks that contain the range call the hook, and every instruction inside the range is
//   a JS call (202 ns on the loop's own instruction). Adding it drops the cached blocks
//   over the range, so a breakpoint set mid-run takes effect.
// - onMemAccess(type, begin, end) (a watchpoint): every load or store of that type
//   anywhere leaves the fast path for the slow helper, which checks the range
//   (uc_mem_hook_installed, notdirty_write in 2.1.4's cputlb.c): 38.9 ns (9x) with a write
//   hook on bytes the loop never writes, 305 ns when every iteration writes the watched
//   slot. The cost is on the whole guest while the hook exists: remove it when done.
// - onInterrupt, onSyscallInsn, onInsnInvalid: nothing until the event.
// - onMemInvalid: covers every address, so on 2.1 it keeps every store on the slow path
//   (29 ns per store in the default TLB): the 2.1 fast path does not install it.
//
// Exit checks (2.1). Unicorn 2.1.4 translates every guest load and store followed by a call
// of its helper check_exit_request (qemu/tcg/tcg-op.c), which costs more than the access
// itself: it is how a hook's uc_emu_stop takes effect right after the access or instruction
// that ran the hook. A run with no code, block or memory-access hook and no instruction
// count stops only at block starts, at exceptions (faults, traps, system calls) and from the
// timeout thread, none of which needs these checks; the check at each block start stays.
// In the default (CPU) TLB mode a store to a read-only or unmapped page returns from the
// store helper without storing and without leaving the block, and relies on the check that
// follows; with the virtual TLB every such access is refused at the TLB fill, which leaves
// at once (a longjmp), before any helper error path. So while an engine runs the virtual
// TLB with none of those hooks and no count, crashlab sets the engine's translation-time
// switch for the checks off (uc_struct.no_exit_request, which Unicorn itself sets
// inside AArch32 IT blocks). Its offset is private to the build: it is read from the
// library's own check_exit_request_<arch> code (`cmpb $0, off(%rsi)` after loading
// tcg_ctx->uc), the same in all four arch copies, else the switch is left alone.
// Adding such a hook or counting turns the checks back on (and drops the translated blocks,
// since the switch acts when a block is translated). Measured: `crashlab emu --timeout 60
// guests/build/x86-64/stores.elf` takes 2.6 s of CPU, 7.4 s with the checks kept on
// (CRASHLAB_UNICORN_EXIT_CHECKS=always); a store costs 3.9 ns instead of 6.9
// (bench/unicorn-stores.mjs).
//
// Facts about 2.0.1 that shape this file (measured, see also /work/shared/unicorn-notes.md):
// - koffi 3.3.4 passes uint64_t callback arguments as *signed* 64-bit values: a Number when
//   it fits in 53 bits, else a BigInt, and values >= 2^63 arrive negative. Struct decoding
//   and output buffers are fine. Every uint64 callback argument is normalised with
//   BigInt.asUintN(64, ...).
// - uc_mem_write does not invalidate translated blocks: call tbRemoveCache/tbFlush after
//   writing over code that already ran (uc_emu_start only drops the block holding `until`).
// - UC_CTL_TB_REQUEST_CACHE segfaults the process if translating the block faults (start
//   address unmapped or not executable, or the block runs into such memory), because
//   2.0.1's uc_gen_tb has no sigsetjmp around tb_gen_code. tbRequestCache checks first.
import koffi from 'koffi';
import type { LibraryHandle, TypeObject } from 'koffi';
import { UC_ARCH, UC_CTL, UC_CTL_IO, UC_ERR, UC_HOOK, UC_PROT, UC_TLB } from './consts.js';
import { libraryCandidates, type LibraryChoice } from './library.js';

export * from './consts.js';

/** The native library (or koffi's binary for this platform) cannot be loaded or is too old. */
export class UnicornUnavailableError extends Error {
  override readonly name = 'UnicornUnavailableError';
}

/** A Unicorn call returned a uc_err other than UC_ERR_OK. */
export class UnicornError extends Error {
  override readonly name = 'UnicornError';
  constructor(
    /** The uc_err value (UC_ERR.*). */
    readonly code: number,
    /** The C function that failed, e.g. "uc_mem_map". */
    readonly op: string,
    /** Formatted arguments of the call, e.g. ["0x10000", "0x1000"]. */
    readonly args: readonly string[] = [],
  ) {
    super(`${op}(${args.join(', ')}): ${errorText(code)}`);
  }
  /** The C name of `code`, e.g. "UC_ERR_READ_UNMAPPED". */
  get codeName(): string {
    return errorName(this.code);
  }
}

// ---------------------------------------------------------------------------------------
// C prototypes (unicorn.h). One table; the interface below is the JS view of each entry.

/** Opaque engine handle: koffi 3 represents pointers as BigInt. */
type UcHandle = bigint;
/** Buffers koffi passes as `void *`. */
type Bytes = Uint8Array | BigUint64Array | Uint32Array;

interface UcApi {
  uc_version(major: [number], minor: [number]): number;
  uc_open(arch: number, mode: number, uc: [UcHandle | null]): number;
  uc_close(uc: UcHandle): number;
  uc_strerror(code: number): string;
  uc_errno(uc: UcHandle): number;
  uc_emu_start(uc: UcHandle, begin: bigint, until: bigint, timeout: number, count: number): number;
  uc_emu_stop(uc: UcHandle): number;
  uc_mem_map(uc: UcHandle, address: bigint, size: bigint, perms: number): number;
  uc_mem_protect(uc: UcHandle, address: bigint, size: bigint, perms: number): number;
  uc_mem_unmap(uc: UcHandle, address: bigint, size: bigint): number;
  uc_mem_read(uc: UcHandle, address: bigint, bytes: Bytes, size: number): number;
  uc_mem_write(uc: UcHandle, address: bigint, bytes: Bytes, size: number): number;
  uc_mem_regions(uc: UcHandle, regions: [bigint | null], count: [number]): number;
  uc_free(mem: bigint): number;
  uc_reg_read(uc: UcHandle, regid: number, value: Bytes): number;
  uc_reg_write(uc: UcHandle, regid: number, value: Bytes): number;
  /** Variadic tail: for UC_HOOK_INSN pass ('int', instructionId). */
  uc_hook_add(uc: UcHandle, hh: [number | bigint], type: number, callback: bigint,
    userData: null, begin: bigint, end: bigint, ...variadic: unknown[]): number;
  uc_hook_del(uc: UcHandle, hh: number | bigint): number;
  /** Variadic tail: (type, value) pairs, e.g. ('uint64_t', addr, 'void *', buffer). */
  uc_ctl(uc: UcHandle, control: number, ...variadic: unknown[]): number;
  uc_context_alloc(uc: UcHandle, ctx: [bigint | null]): number;
  uc_context_save(uc: UcHandle, ctx: bigint): number;
  uc_context_restore(uc: UcHandle, ctx: bigint): number;
  uc_context_free(ctx: bigint): number;
  uc_mem_map_ptr(uc: UcHandle, address: bigint, size: bigint, perms: number, ptr: bigint): number;
}

const PROTOTYPES: { readonly [K in keyof UcApi]: string } = {
  uc_version: 'unsigned int uc_version(_Out_ unsigned int *major, _Out_ unsigned int *minor)',
  uc_open: 'int uc_open(int arch, int mode, _Out_ uc_engine **uc)',
  uc_close: 'int uc_close(uc_engine *uc)',
  uc_strerror: 'const char *uc_strerror(int code)',
  uc_errno: 'int uc_errno(uc_engine *uc)',
  uc_emu_start: 'int uc_emu_start(uc_engine *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)',
  uc_emu_stop: 'int uc_emu_stop(uc_engine *uc)',
  uc_mem_map: 'int uc_mem_map(uc_engine *uc, uint64_t address, size_t size, uint32_t perms)',
  uc_mem_protect: 'int uc_mem_protect(uc_engine *uc, uint64_t address, size_t size, uint32_t perms)',
  uc_mem_unmap: 'int uc_mem_unmap(uc_engine *uc, uint64_t address, size_t size)',
  uc_mem_read: 'int uc_mem_read(uc_engine *uc, uint64_t address, _Out_ void *bytes, size_t size)',
  uc_mem_write: 'int uc_mem_write(uc_engine *uc, uint64_t address, const void *bytes, size_t size)',
  uc_mem_regions: 'int uc_mem_regions(uc_engine *uc, _Out_ void **regions, _Out_ uint32_t *count)',
  uc_free: 'int uc_free(void *mem)',
  uc_reg_read: 'int uc_reg_read(uc_engine *uc, int regid, _Out_ void *value)',
  uc_reg_write: 'int uc_reg_write(uc_engine *uc, int regid, const void *value)',
  // In unicorn.h begin/end are fixed parameters; only UC_HOOK_INSN's instruction id is variadic.
  uc_hook_add: 'int uc_hook_add(uc_engine *uc, _Out_ size_t *hh, int type, void *callback, void *user_data, uint64_t begin, uint64_t end, ...)',
  uc_hook_del: 'int uc_hook_del(uc_engine *uc, size_t hh)',
  // uc_control_type is an int-sized enum; uint32_t lets the R/W bits (30..31) pass unsigned.
  uc_ctl: 'int uc_ctl(uc_engine *uc, uint32_t control, ...)',
  uc_context_alloc: 'int uc_context_alloc(uc_engine *uc, _Out_ void **context)',
  uc_context_save: 'int uc_context_save(uc_engine *uc, void *context)',
  uc_context_restore: 'int uc_context_restore(uc_engine *uc, void *context)',
  uc_context_free: 'int uc_context_free(void *context)',
  uc_mem_map_ptr: 'int uc_mem_map_ptr(uc_engine *uc, uint64_t address, size_t size, uint32_t perms, void *ptr)',
};

/** libc's mmap/munmap, for host memory that several engines map (uc_mem_map_ptr). */
interface LibcApi {
  mmap(addr: null, length: number, prot: number, flags: number, fd: number, offset: number): bigint;
  munmap(addr: bigint, length: number): number;
}

/** Callback prototypes, named after unicorn.h's typedefs. */
const CALLBACKS = {
  intr: 'void uc_cb_hookintr_t(uc_engine *uc, uint32_t intno, void *user_data)',
  code: 'void uc_cb_hookcode_t(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)',
  insnInvalid: 'bool uc_cb_hookinsn_invalid_t(uc_engine *uc, void *user_data)',
  eventMem: 'bool uc_cb_eventmem_t(uc_engine *uc, int type, uint64_t address, int size, int64_t value, void *user_data)',
  syscall: 'void uc_cb_insn_syscall_t(uc_engine *uc, void *user_data)',
  hookMem: 'void uc_cb_hookmem_t(uc_engine *uc, int type, uint64_t address, int size, int64_t value, void *user_data)',
  // The result is written with koffi.encode (struct uc_tlb_entry { uint64_t paddr; uc_prot perms; }).
  tlbFill: 'bool uc_cb_tlbevent_t(uc_engine *uc, uint64_t vaddr, int type, void *result, void *user_data)',
} as const;

interface Native {
  api: UcApi;
  /** koffi pointer types for koffi.register, one per CALLBACKS entry. */
  cb: { readonly [K in keyof typeof CALLBACKS]: TypeObject };
  /** uc_version's packed value: major << 24 | minor << 16 | patch << 8 | extra. */
  version: number;
  /** The file loaded and how it was chosen. */
  library: LibraryChoice;
  /** Why a better library was passed over (the fallback warning), or null. */
  warning: string | null;
  tlbEntry: TypeObject;
  /** Offset of uc_struct.no_exit_request in this build (2.1), or null when not found. */
  exitCheckOffset: number | null;
}

let native: Native | null = null;
let loadError: UnicornUnavailableError | null = null;

/** First packed uc_version with the virtual TLB, UC_HOOK_TLB_FILL and exact pcs in it. */
const VERSION_2_1 = 0x02010000;

/** Loads libunicorn once (library.ts's order) and checks it is Unicorn 2; a failure is remembered. */
function load(): Native {
  if (native) return native;
  if (loadError) throw loadError;
  try {
    native = loadOnce();
    return native;
  } catch (e) {
    if (e instanceof UnicornUnavailableError) loadError = e;
    throw e;
  }
}

function loadOnce(): Native {
  const passedOver: string[] = [];
  let lastError = '';
  for (const choice of libraryCandidates()) {
    let lib: LibraryHandle;
    try {
      lib = koffi.load(choice.file);
    } catch (e) {
      lastError = `cannot load ${choice.file}: ${(e as Error).message}`;
      if (choice.source === 'fetched') passedOver.push(`${choice.file} does not load`);
      continue;
    }
    const uc_version = lib.func(PROTOTYPES.uc_version) as UcApi['uc_version'];
    const major: [number] = [0];
    const version = uc_version(major, [0]) >>> 0;
    if (major[0] !== 2) {
      lastError = `${choice.file} is Unicorn ${formatVersion(version)}; crashlab needs Unicorn 2.x`;
      if (choice.source === 'fetched') passedOver.push(`${choice.file} is Unicorn ${formatVersion(version)}`);
      continue;
    }
    if (choice.source === 'fetched' && version < VERSION_2_1) {
      passedOver.push(`${choice.file} is Unicorn ${formatVersion(version)}, not 2.1`);
      continue;
    }
    koffi.opaque('uc_engine');
    const api = {} as Record<string, unknown>;
    for (const [name, proto] of Object.entries(PROTOTYPES)) api[name] = lib.func(proto);
    const cb = {} as Record<string, TypeObject>;
    for (const [name, proto] of Object.entries(CALLBACKS)) cb[name] = koffi.pointer(koffi.proto(proto));
    const tlbEntry = koffi.struct('uc_tlb_entry', { paddr: 'uint64_t', perms: 'int' });
    let warning: string | null = null;
    if (choice.source === 'system' && version < VERSION_2_1) {
      const why = passedOver.length ? passedOver.join('; ') : 'Unicorn 2.1 is not in .unicorn/: run scripts/setup.sh';
      warning = `engine: the system's Unicorn ${formatVersion(version)}, not 2.1 (${why}); guests run slower and memory faults are replayed for an exact pc`;
    }
    const exitCheckOffset = version >= VERSION_2_1 && process.env.CRASHLAB_UNICORN_EXIT_CHECKS !== 'always'
      ? findExitCheckSwitch(choice.file)
      : null;
    return { api: api as unknown as UcApi, cb: cb as Native['cb'], version, library: choice, warning, tlbEntry, exitCheckOffset };
  }
  throw new UnicornUnavailableError(
    `libunicorn 2 is not installed (run scripts/setup.sh, or apt-get install libunicorn2): ${lastError}`);
}

/**
 * The offset of uc_struct.no_exit_request, read from the code of the library's
 * check_exit_request_<arch> functions (x86-64 host code):
 *   48 8b b7 <d32>   mov <d32>(%rdi), %rsi     ; tcg_ctx->uc
 *   80 be <o32> 00   cmpb $0x0, <o32>(%rsi)    ; uc->no_exit_request
 * null unless all four arch copies have that sequence with one offset.
 */
function findExitCheckSwitch(file: string): number | null {
  try {
    const dl = koffi.load('libc.so.6');
    const dlopen = dl.func('void *dlopen(const char *file, int mode)');
    const dlsym = dl.func('void *dlsym(void *handle, const char *name)');
    const RTLD_NOW_NOLOAD = 0x2 | 0x4;
    const handle = dlopen(file, RTLD_NOW_NOLOAD);
    if (!handle) return null;
    let found: number | null = null;
    for (const arch of ['x86_64', 'aarch64', 'riscv32', 'riscv64']) {
      const fn = dlsym(handle, `check_exit_request_${arch}`);
      if (!fn) return null;
      const code = new Uint8Array(koffi.view(fn, 96));
      let offset: number | null = null;
      for (let i = 0; i + 14 <= code.length; i++) {
        if (code[i] === 0x48 && code[i + 1] === 0x8b && code[i + 2] === 0xb7 && code[i + 7] === 0x80 && code[i + 8] === 0xbe && code[i + 13] === 0x00) {
          offset = new DataView(code.buffer, code.byteOffset + i + 9, 4).getInt32(0, true);
          break;
        }
      }
      if (offset === null || offset <= 0 || offset > 0x10000 || (found !== null && found !== offset)) return null;
      found = offset;
    }
    return found;
  } catch {
    return null;
  }
}

function formatVersion(v: number): string {
  return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}`;
}

/** The loaded library's version, e.g. "2.0.1" (from uc_version). */
export function unicornVersion(): string {
  return formatVersion(load().version);
}

/** What crashlab runs guests on, for `crashlab --version` and the JSON report. */
export interface EngineInfo {
  name: 'unicorn';
  /** uc_version, e.g. "2.1.4". */
  version: string;
  /** The file loaded (a path, or the soname the system resolves). */
  library: string;
  source: LibraryChoice['source'];
  /** Virtual TLB with a fill hook: exact fault pcs without a replay, fast stores (2.1+). */
  fastPath: boolean;
}

export function engineInfo(): EngineInfo {
  const n = load();
  return {
    name: 'unicorn',
    version: formatVersion(n.version),
    library: n.library.file,
    source: n.library.source,
    fastPath: n.version >= VERSION_2_1,
  };
}

/** One line naming the engine, e.g. "Unicorn 2.1.4 (fetched: /repo/.unicorn/libunicorn.so.2)". */
export function engineDescription(): string {
  try {
    const e = engineInfo();
    const how = e.source === 'env' ? 'CRASHLAB_LIBUNICORN' : e.source;
    return `Unicorn ${e.version} (${how}: ${e.library})${e.fastPath ? '' : ', slow path: no virtual TLB'}`;
  } catch (e) {
    return `unavailable (${(e as Error).message})`;
  }
}

/**
 * The one warning line for a fallback to the system's Unicorn 2.0.1 (null when the
 * fetched 2.1 or CRASHLAB_LIBUNICORN is in use).
 */
export function engineWarning(): string | null {
  return load().warning;
}

const ERR_NAMES = new Map<number, string>(Object.entries(UC_ERR).map(([k, v]) => [v, `UC_ERR_${k}`]));

/** The C name of a uc_err value, e.g. errorName(6) === "UC_ERR_READ_UNMAPPED". */
export function errorName(code: number): string {
  return ERR_NAMES.get(code) ?? `UC_ERR_${code}`;
}

const errTexts = new Map<number, string>();

/** uc_strerror's text, e.g. "Invalid memory mapping (UC_ERR_MAP)". */
export function errorText(code: number): string {
  let text = errTexts.get(code);
  if (text === undefined) {
    try {
      text = load().api.uc_strerror(code);
    } catch {
      text = errorName(code); // library unavailable: still give something readable
    }
    errTexts.set(code, text);
  }
  return text;
}

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

// uc_control_type encoding, from unicorn.h's UC_CTL() macro:
//   bits 31..30 R/W (UC_CTL_IO_*), bits 29..26 number of arguments, bits 15..0 the type.
function ctl(type: number, nargs: number, rw: number): number {
  return (type | (nargs << 26) | (rw << 30)) >>> 0;
}
const CTL_PAGE_SIZE_READ = ctl(UC_CTL.UC_PAGE_SIZE, 1, UC_CTL_IO.READ);
const CTL_TB_REQUEST = ctl(UC_CTL.TB_REQUEST_CACHE, 2, UC_CTL_IO.READ_WRITE); // uc_ctl_request_cache
const CTL_TB_REMOVE = ctl(UC_CTL.TB_REMOVE_CACHE, 2, UC_CTL_IO.WRITE); // uc_ctl_remove_cache
const CTL_TB_FLUSH = ctl(UC_CTL.TB_FLUSH, 0, UC_CTL_IO.WRITE); // uc_ctl_flush_tlb (sic)
const CTL_TLB_FLUSH = ctl(UC_CTL.TLB_FLUSH, 0, UC_CTL_IO.WRITE); // 2.1
const CTL_TLB_TYPE = ctl(UC_CTL.TLB_TYPE, 1, UC_CTL_IO.WRITE); // 2.1

// ---------------------------------------------------------------------------------------

export interface HookHandle {
  /** Deletes the hook (uc_hook_del) and releases its koffi callback. Idempotent. */
  remove(): void;
}

/** A translated block, from struct uc_tb (unicorn.h). */
export interface TbInfo {
  pc: bigint;
  icount: number;
  size: number;
}

/** A mapped region, from struct uc_mem_region (unicorn.h); `end` is inclusive. */
export interface MemRegion {
  begin: bigint;
  end: bigint;
  perms: number;
}

interface HookRecord {
  hh: number | bigint;
  ptr: bigint;
  live: boolean;
  /** A code, block or memory-access hook: its uc_emu_stop needs the exit checks. */
  stops: boolean;
}

/** Hook types whose callbacks run between instructions or accesses of a block. */
const STOP_HOOK_TYPES = UC_HOOK.CODE | UC_HOOK.BLOCK | UC_HOOK.MEM_READ | UC_HOOK.MEM_WRITE | UC_HOOK.MEM_FETCH |
  UC_HOOK.MEM_READ_AFTER | UC_HOOK.MEM_INVALID;

/** One Unicorn engine instance. Not thread-safe; hooks run synchronously inside start(). */
export class Engine {
  private uc: UcHandle | null;
  private readonly api: UcApi;
  private readonly hooks = new Set<HookRecord>();
  /** Reused for every register access (64 bytes so wide registers cannot overflow it). */
  private readonly reg = new BigUint64Array(8);
  /** First exception thrown by a hook during the current start(). */
  private pending: { error: unknown } | null = null;
  private running = false;
  /** koffi callbacks of hooks removed while running, released after uc_emu_start returns. */
  private deferred: bigint[] = [];
  /** Target page size (uc_ctl UC_CTL_UC_PAGE_SIZE): 4096 on x86/riscv, 1024 on arm64. */
  readonly pageSize: number;
  /** The library has the virtual TLB and UC_HOOK_TLB_FILL (Unicorn >= 2.1). */
  readonly hasVirtualTlb: boolean;
  /** Contexts allocated by contextSave and not yet freed (freed by close()). */
  private readonly contexts = new Set<EngineContext>();
  private readonly tlbEntry: TypeObject;
  /** A view of uc_struct.no_exit_request (see "Exit checks" above), or null. */
  private readonly exitSwitch: Uint8Array | null;
  /** Live code, block and memory-access hooks: while any exists the exit checks are on. */
  private stopHooks = 0;
  /** uc_emu_start runs with an instruction count (its stop comes from a code hook). */
  private counting = false;
  /** UC_TLB_VIRTUAL is on (set by useVirtualTlb). */
  private virtualTlb = false;

  private constructor(uc: UcHandle, api: UcApi, readonly arch: number, readonly mode: number) {
    this.uc = uc;
    this.api = api;
    const n = load();
    this.hasVirtualTlb = n.version >= VERSION_2_1;
    this.tlbEntry = n.tlbEntry;
    this.exitSwitch = n.exitCheckOffset === null ? null : new Uint8Array(koffi.view(BigInt(uc) + BigInt(n.exitCheckOffset), 1));
    // The checks stay on until the virtual TLB is on (useVirtualTlb): see "Exit checks".
    const page = new Uint32Array(1);
    const rc = api.uc_ctl(uc, CTL_PAGE_SIZE_READ, 'void *', page);
    this.pageSize = rc === 0 && page[0] ? page[0] : 4096;
  }

  /** uc_open(arch, mode): arch is UC_ARCH.*, mode a UC_MODE.* combination. */
  static open(arch: number, mode: number): Engine {
    const { api } = load();
    const out: [UcHandle | null] = [null];
    const rc = api.uc_open(arch, mode, out);
    if (rc !== 0 || out[0] === null) throw new UnicornError(rc, 'uc_open', [String(arch), String(mode)]);
    return new Engine(out[0], api, arch, mode);
  }

  /** True until close(). */
  get isOpen(): boolean {
    return this.uc !== null;
  }

  /** uc_close and release every koffi callback this engine registered. Idempotent. */
  close(): void {
    const uc = this.uc;
    if (uc === null) return;
    this.uc = null;
    for (const c of this.contexts) c.free();
    const rc = this.api.uc_close(uc);
    for (const h of this.hooks) {
      h.live = false;
      koffi.unregister(h.ptr);
    }
    this.hooks.clear();
    for (const ptr of this.deferred) koffi.unregister(ptr);
    this.deferred = [];
    if (rc !== 0) throw new UnicornError(rc, 'uc_close');
  }

  private handle(op: string): UcHandle {
    if (this.uc === null) throw new UnicornError(UC_ERR.HANDLE, op, ['<closed engine>']);
    return this.uc;
  }

  // --- memory -------------------------------------------------------------------------

  memMap(addr: bigint, size: bigint, perms: number): void {
    const rc = this.api.uc_mem_map(this.handle('uc_mem_map'), addr, size, perms);
    if (rc !== 0) throw new UnicornError(rc, 'uc_mem_map', [hex(addr), hex(size), String(perms)]);
  }

  memProtect(addr: bigint, size: bigint, perms: number): void {
    const rc = this.api.uc_mem_protect(this.handle('uc_mem_protect'), addr, size, perms);
    if (rc !== 0) throw new UnicornError(rc, 'uc_mem_protect', [hex(addr), hex(size), String(perms)]);
  }

  memUnmap(addr: bigint, size: bigint): void {
    const rc = this.api.uc_mem_unmap(this.handle('uc_mem_unmap'), addr, size);
    if (rc !== 0) throw new UnicornError(rc, 'uc_mem_unmap', [hex(addr), hex(size)]);
  }

  memWrite(addr: bigint, data: Uint8Array): void {
    const rc = this.api.uc_mem_write(this.handle('uc_mem_write'), addr, data, data.length);
    if (rc !== 0) throw new UnicornError(rc, 'uc_mem_write', [hex(addr), hex(data.length)]);
  }

  /** Reads n bytes; throws UnicornError (e.g. UC_ERR_READ_UNMAPPED) if any is unmapped. */
  memRead(addr: bigint, n: number): Uint8Array {
    const buf = new Uint8Array(n);
    const rc = this.api.uc_mem_read(this.handle('uc_mem_read'), addr, buf, n);
    if (rc !== 0) throw new UnicornError(rc, 'uc_mem_read', [hex(addr), hex(n)]);
    return buf;
  }

  /** Like memRead, but null instead of an exception (for probing guest stacks). */
  tryMemRead(addr: bigint, n: number): Uint8Array | null {
    const buf = new Uint8Array(n);
    return this.api.uc_mem_read(this.handle('uc_mem_read'), addr, buf, n) === 0 ? buf : null;
  }

  /** uc_mem_regions + uc_free, sorted by address as Unicorn returns them. */
  regions(): MemRegion[] {
    const uc = this.handle('uc_mem_regions');
    const ptr: [bigint | null] = [null];
    const count: [number] = [0];
    const rc = this.api.uc_mem_regions(uc, ptr, count);
    if (rc !== 0) throw new UnicornError(rc, 'uc_mem_regions');
    const out: MemRegion[] = [];
    if (ptr[0] === null) return out;
    try {
      // struct uc_mem_region { uint64_t begin; uint64_t end; uint32_t perms; }: 24 bytes on LP64.
      const view = new DataView(koffi.view(ptr[0], count[0] * 24));
      for (let i = 0; i < count[0]; i++) {
        out.push({
          begin: view.getBigUint64(i * 24, true),
          end: view.getBigUint64(i * 24 + 8, true),
          perms: view.getUint32(i * 24 + 16, true),
        });
      }
    } finally {
      this.api.uc_free(ptr[0]);
    }
    return out;
  }

  /**
   * uc_mem_map_ptr: map host memory (HostMemory) at addr, so that several engines (one per
   * guest thread, say) see the same bytes. The memory must outlive every engine mapping it.
   */
  memMapHost(addr: bigint, mem: HostMemory, perms: number): void {
    const rc = this.api.uc_mem_map_ptr(this.handle('uc_mem_map_ptr'), addr, BigInt(mem.size), perms, mem.pointer);
    if (rc !== 0) throw new UnicornError(rc, 'uc_mem_map_ptr', [hex(addr), hex(mem.size), String(perms)]);
  }

  // --- CPU contexts (uc_context_*) -------------------------------------------------------

  /**
   * uc_context_save: the CPU state (registers, pc, flags; not memory) into `into`, or into
   * a new context. One engine can run several guest threads by saving and restoring
   * contexts around each slice. Measured (bench/engine-threads.mjs, 2.1.4, CPU time): a
   * save + restore per slice adds under 1 us (within the noise of a 10 us slice), a new
   * thread's context about 30 us; an engine per thread over shared host memory
   * (memMapHost) switches for free but costs about 0.55 ms to create, translates every
   * block again, and needs every mprotect/munmap and code write applied to each engine.
   */
  contextSave(into?: EngineContext): EngineContext {
    const uc = this.handle('uc_context_save');
    let ctx = into;
    if (!ctx) {
      const out: [bigint | null] = [null];
      const rc = this.api.uc_context_alloc(uc, out);
      if (rc !== 0 || out[0] === null) throw new UnicornError(rc, 'uc_context_alloc');
      ctx = new EngineContext(out[0], this.api, this.contexts);
      this.contexts.add(ctx);
    }
    const rc = this.api.uc_context_save(uc, ctx.pointer);
    if (rc !== 0) throw new UnicornError(rc, 'uc_context_save');
    return ctx;
  }

  /** uc_context_restore: the CPU state saved by contextSave. */
  contextRestore(ctx: EngineContext): void {
    const rc = this.api.uc_context_restore(this.handle('uc_context_restore'), ctx.pointer);
    if (rc !== 0) throw new UnicornError(rc, 'uc_context_restore');
  }

  // --- registers ----------------------------------------------------------------------

  /**
   * Reads a register (ARM64_REG.*, X86_REG.*, RISCV_REG.*) as an unsigned 64-bit value.
   * The buffer is zeroed first because Unicorn writes only 4 bytes for rv32 registers.
   * Registers wider than 64 bits return their low 64 bits.
   */
  regRead(id: number): bigint {
    const reg = this.reg;
    reg[0] = 0n;
    const rc = this.api.uc_reg_read(this.handle('uc_reg_read'), id, reg);
    if (rc !== 0) throw new UnicornError(rc, 'uc_reg_read', [String(id)]);
    return reg[0]!;
  }

  /** Writes a register; the value is taken modulo 2^64 (so -1n is all ones). */
  regWrite(id: number, value: bigint): void {
    const reg = this.reg;
    reg.fill(0n, 1);
    reg[0] = value; // BigUint64Array stores BigInt.asUintN(64, value)
    const rc = this.api.uc_reg_write(this.handle('uc_reg_write'), id, reg);
    if (rc !== 0) throw new UnicornError(rc, 'uc_reg_write', [String(id), hex(reg[0]!)]);
  }

  // --- running ------------------------------------------------------------------------

  /**
   * uc_emu_start. Returns the uc_err value (0 = ok; e.g. UC_ERR.READ_UNMAPPED after an
   * unhandled fault) without throwing, so callers can branch cheaply. If a hook threw, the
   * first such exception is re-thrown here after uc_emu_start returns.
   * `until` is an exit address; timeoutUs 0 and count 0 mean unlimited.
   */
  start(begin: bigint, until: bigint, timeoutUs = 0, count = 0): number {
    const uc = this.handle('uc_emu_start');
    if (this.running) throw new Error('Engine.start() called re-entrantly from a hook');
    this.pending = null;
    this.counting = count > 0; // the count's stop comes from a code hook
    this.updateExitChecks();
    this.running = true;
    let rc: number;
    try {
      rc = this.api.uc_emu_start(uc, begin, until, timeoutUs, count);
    } finally {
      this.running = false;
      this.counting = false;
      this.updateExitChecks();
      if (this.deferred.length) {
        for (const ptr of this.deferred) koffi.unregister(ptr);
        this.deferred = [];
      }
    }
    const pending = this.pending as { error: unknown } | null; // set by hooks during the call
    if (pending) {
      this.pending = null;
      throw pending.error;
    }
    return rc;
  }

  /**
   * Whether the engine checks for a stop request after every load and store (see "Exit
   * checks" at the top). Acts on blocks translated from now on, so a change drops the
   * translated blocks. Without the switch (2.0.1, or not found) the checks are always on.
   */
  private updateExitChecks(): void {
    const sw = this.exitSwitch;
    if (!sw || this.uc === null) return;
    const on = !this.virtualTlb || this.stopHooks > 0 || this.counting;
    if (sw[0] === (on ? 0 : 1)) return;
    sw[0] = on ? 0 : 1;
    this.api.uc_ctl(this.uc, CTL_TB_FLUSH);
  }

  /** True while loads and stores are followed by a stop-request check (hooks that stop need it). */
  get exitChecksOn(): boolean {
    return !this.exitSwitch || this.exitSwitch[0] === 0;
  }

  /** uc_emu_stop; usable from inside a hook. */
  stop(): void {
    const rc = this.api.uc_emu_stop(this.handle('uc_emu_stop'));
    if (rc !== 0) throw new UnicornError(rc, 'uc_emu_stop');
  }

  /** Records a hook's exception (first one wins) and stops emulation. */
  private fail(error: unknown): void {
    if (!this.pending) this.pending = { error };
    if (this.uc !== null) this.api.uc_emu_stop(this.uc);
  }

  // --- hooks --------------------------------------------------------------------------
  // Each JS callback is wrapped: an exception is recorded, emulation stopped, and a safe
  // value returned to Unicorn; start() then re-throws it (as Unicorn's Python binding does).

  private addHook(type: number, cbType: TypeObject, fn: Function, begin: bigint, end: bigint,
    insn?: number): HookHandle {
    const uc = this.handle('uc_hook_add');
    const ptr = koffi.register(fn, cbType);
    const hh: [number | bigint] = [0];
    const rc = insn === undefined
      ? this.api.uc_hook_add(uc, hh, type, ptr, null, begin, end)
      : this.api.uc_hook_add(uc, hh, type, ptr, null, begin, end, 'int', insn);
    if (rc !== 0) {
      koffi.unregister(ptr);
      const args = [String(type), hex(begin), hex(end)];
      if (insn !== undefined) args.push(String(insn));
      throw new UnicornError(rc, 'uc_hook_add', args);
    }
    const stops = (type & STOP_HOOK_TYPES) !== 0;
    const rec: HookRecord = { hh: hh[0], ptr, live: true, stops };
    this.hooks.add(rec);
    if (stops && this.stopHooks++ === 0) this.updateExitChecks();
    return { remove: () => this.removeHook(rec) };
  }

  private removeHook(rec: HookRecord): void {
    if (!rec.live) return;
    rec.live = false;
    this.hooks.delete(rec);
    if (rec.stops && --this.stopHooks === 0 && !this.running) this.updateExitChecks();
    const rc = this.uc === null ? 0 : this.api.uc_hook_del(this.uc, rec.hh);
    // Unicorn 2 only marks a deleted hook; its trampoline must stay valid until start() returns.
    if (this.running) this.deferred.push(rec.ptr);
    else koffi.unregister(rec.ptr);
    if (rc !== 0) throw new UnicornError(rc, 'uc_hook_del', [String(rec.hh)]);
  }

  /** UC_HOOK_INTR: interrupts and CPU exceptions (x86 int3 = 3, aarch64 svc = 2, riscv ecall = 8). */
  onInterrupt(cb: (intno: number) => void): HookHandle {
    const wrapped = (_uc: unknown, intno: number) => {
      try {
        cb(intno);
      } catch (e) {
        this.fail(e);
      }
    };
    return this.addHook(UC_HOOK.INTR, load().cb.intr, wrapped, 1n, 0n);
  }

  /**
   * UC_HOOK_INSN for instructions whose callback takes no arguments (uc_cb_insn_syscall_t):
   * X86_INS.SYSCALL and X86_INS.SYSENTER.
   */
  onSyscallInsn(insnId: number, cb: () => void): HookHandle {
    const wrapped = () => {
      try {
        cb();
      } catch (e) {
        this.fail(e);
      }
    };
    return this.addHook(UC_HOOK.INSN, load().cb.syscall, wrapped, 1n, 0n, insnId);
  }

  /**
   * UC_HOOK_MEM_INVALID (unmapped and protection faults on read, write and fetch).
   * `type` is UC_MEM.*; `value` is the value being written (signed, as int64_t in the header).
   * Return true only after making the access valid (e.g. mapping the page); false stops
   * emulation and start() returns the matching UC_ERR_*.
   */
  onMemInvalid(cb: (type: number, address: bigint, size: number, value: bigint) => boolean): HookHandle {
    const wrapped = (_uc: unknown, type: number, address: number | bigint, size: number, value: number | bigint) => {
      try {
        return cb(type, BigInt.asUintN(64, BigInt(address)), size, BigInt.asIntN(64, BigInt(value))) === true;
      } catch (e) {
        this.fail(e);
        return false;
      }
    };
    return this.addHook(UC_HOOK.MEM_INVALID, load().cb.eventMem, wrapped, 1n, 0n);
  }

  /**
   * UC_HOOK_INSN_INVALID. Return true if handled. Note: in 2.0.1 emulation stops even when
   * the hook returns true (see unicorn-notes.md).
   */
  onInsnInvalid(cb: () => boolean): HookHandle {
    const wrapped = () => {
      try {
        return cb() === true;
      } catch (e) {
        this.fail(e);
        return false;
      }
    };
    return this.addHook(UC_HOOK.INSN_INVALID, load().cb.insnInvalid, wrapped, 1n, 0n);
  }

  /**
   * UC_HOOK_CODE on [begin, end] (inclusive; begin > end means everywhere). Every
   * instruction in range costs a JS call: keep the range as small as possible (one
   * address for a breakpoint). Blocks already translated over the range are dropped, so
   * the hook applies from the next instruction on, also when added from a hook mid-run.
   */
  onCode(begin: bigint, end: bigint, cb: (address: bigint, size: number) => void): HookHandle {
    const h = this.addHook(UC_HOOK.CODE, load().cb.code, this.wrapCode(cb), begin, end);
    this.dropBlocks(begin, end);
    return h;
  }

  /** UC_HOOK_BLOCK on [begin, end]: called at the start of each translated block. */
  onBlock(begin: bigint, end: bigint, cb: (address: bigint, size: number) => void): HookHandle {
    const h = this.addHook(UC_HOOK.BLOCK, load().cb.code, this.wrapCode(cb), begin, end);
    this.dropBlocks(begin, end);
    return h;
  }

  /** Translation happens with the hooks present then: drop what was translated before. */
  private dropBlocks(begin: bigint, end: bigint): void {
    if (begin > end) this.tbFlush();
    else if (this.regions().length) this.tbRemoveCache(begin, end + 1n);
  }

  /**
   * UC_HOOK_MEM_READ / MEM_WRITE / MEM_FETCH (or their sum) on [begin, end] inclusive: valid
   * accesses that touch the range (a watchpoint). `type` in the callback is UC_MEM.READ,
   * WRITE or FETCH; `value` the value written. While such a hook exists the engine checks
   * accesses in its slow helper (see the cost note at the top of this file).
   */
  onMemAccess(types: number, begin: bigint, end: bigint,
    cb: (type: number, address: bigint, size: number, value: bigint) => void): HookHandle {
    if ((types & ~(UC_HOOK.MEM_READ | UC_HOOK.MEM_WRITE | UC_HOOK.MEM_FETCH | UC_HOOK.MEM_READ_AFTER)) !== 0 || types === 0) {
      throw new UnicornError(UC_ERR.ARG, 'uc_hook_add', [String(types), 'not a valid-access memory hook type']);
    }
    const wrapped = (_uc: unknown, type: number, address: number | bigint, size: number, value: number | bigint) => {
      try {
        cb(type, BigInt.asUintN(64, BigInt(address)), size, BigInt.asIntN(64, BigInt(value)));
      } catch (e) {
        this.fail(e);
      }
    };
    return this.addHook(types, load().cb.hookMem, wrapped, begin, end);
  }

  private wrapCode(cb: (address: bigint, size: number) => void) {
    return (_uc: unknown, address: number | bigint, size: number) => {
      try {
        cb(BigInt.asUintN(64, BigInt(address)), size);
      } catch (e) {
        this.fail(e);
      }
    };
  }

  // --- translation-block cache (uc_ctl) ---------------------------------------------------

  /**
   * UC_CTL_TB_REQUEST_CACHE: the translated block starting at addr (translating it if it is
   * not cached). Returns null when Unicorn reports an error, or when the request is not
   * known to be safe: 2.0.1 segfaults if translation faults, so addr and every byte the
   * translator may fetch must be mapped executable. That window is up to the end of addr's
   * target page on aarch64 (plus 2 bytes on RISC-V, for an instruction straddling the page)
   * and up to addr + 4096 on x86 (QEMU's i386 translator stops a block after
   * TARGET_PAGE_SIZE - 32 bytes and instructions are at most 15 bytes).
   */
  tbRequestCache(addr: bigint): TbInfo | null {
    const uc = this.handle('uc_ctl');
    if (!this.executable(addr, this.translationWindowEnd(addr))) return null;
    // struct uc_tb { uint64_t pc; uint16_t icount; uint16_t size; } (16 bytes with padding)
    const tb = new Uint8Array(16);
    const rc = this.api.uc_ctl(uc, CTL_TB_REQUEST, 'uint64_t', addr, 'void *', tb);
    if (rc !== 0) return null;
    const view = new DataView(tb.buffer);
    return { pc: view.getBigUint64(0, true), icount: view.getUint16(8, true), size: view.getUint16(10, true) };
  }

  /** End (exclusive) of the bytes the translator may fetch for a block starting at addr. */
  private translationWindowEnd(addr: bigint): bigint {
    const page = BigInt(this.pageSize);
    const pageEnd = (addr / page + 1n) * page;
    switch (this.arch) {
      case UC_ARCH.ARM64: return pageEnd;
      case UC_ARCH.RISCV: return pageEnd + 2n;
      case UC_ARCH.X86: return addr + 4096n;
      default: return pageEnd + page + 16n;
    }
  }

  /** True if [begin, end) is entirely covered by executable mappings. */
  private executable(begin: bigint, end: bigint): boolean {
    let next = begin;
    for (const r of this.regions()) {
      if (r.end < next) continue;
      if (r.begin > next || (r.perms & UC_PROT.EXEC) === 0) return false;
      next = r.end + 1n;
      if (next >= end) return true;
    }
    return false;
  }

  /**
   * UC_CTL_TB_REMOVE_CACHE over [begin, end): drops cached blocks covering those guest
   * addresses, e.g. after memWrite over code that already ran. The range is split per
   * mapped region because 2.0.1 converts only the start address to a ram address
   * (uc_invalidate_tb) and invalidates a contiguous range from there.
   */
  tbRemoveCache(begin: bigint, end: bigint): void {
    const uc = this.handle('uc_ctl');
    if (end <= begin) throw new UnicornError(UC_ERR.ARG, 'uc_ctl_remove_cache', [hex(begin), hex(end)]);
    for (const r of this.regions()) {
      const lo = r.begin > begin ? r.begin : begin;
      const hi = r.end + 1n < end ? r.end + 1n : end;
      if (lo >= hi) continue;
      const rc = this.api.uc_ctl(uc, CTL_TB_REMOVE, 'uint64_t', lo, 'uint64_t', hi);
      if (rc !== 0) throw new UnicornError(rc, 'uc_ctl_remove_cache', [hex(lo), hex(hi)]);
    }
  }

  /** UC_CTL_TB_FLUSH: drops every translated block. */
  tbFlush(): void {
    const rc = this.api.uc_ctl(this.handle('uc_ctl'), CTL_TB_FLUSH);
    if (rc !== 0) throw new UnicornError(rc, 'uc_ctl_flush_tb');
  }

  // --- the TLB (2.1) ------------------------------------------------------------------------

  /**
   * UC_CTL_TLB_TYPE: true for UC_TLB_VIRTUAL (every TLB miss asks the onTlbFill hooks; a
   * page's permissions are what the hook answers), false for UC_TLB_CPU (the default: every
   * page is RWX to the MMU and the mapped regions' permissions are checked on the slow path).
   * Throws UC_ERR_ARG on Unicorn 2.0.
   */
  useVirtualTlb(on: boolean): void {
    const rc = this.hasVirtualTlb
      ? this.api.uc_ctl(this.handle('uc_ctl'), CTL_TLB_TYPE, 'int', on ? UC_TLB.VIRTUAL : UC_TLB.CPU)
      : UC_ERR.ARG;
    if (rc !== 0) throw new UnicornError(rc, 'uc_ctl_tlb_mode', [on ? 'UC_TLB_VIRTUAL' : 'UC_TLB_CPU']);
    this.virtualTlb = on;
    this.updateExitChecks();
  }

  /**
   * UC_CTL_TLB_FLUSH: drop every TLB entry, so the fill hook is asked again. Needed after
   * any change of what a fill answered (mprotect, munmap, mremap). A no-op on Unicorn 2.0.
   */
  tlbFlush(): void {
    if (!this.hasVirtualTlb) return;
    const rc = this.api.uc_ctl(this.handle('uc_ctl'), CTL_TLB_FLUSH);
    if (rc !== 0) throw new UnicornError(rc, 'uc_ctl_flush_tlb');
  }

  /**
   * UC_HOOK_TLB_FILL (2.1, virtual TLB): called on a TLB miss with the page address
   * (a number when below 2^53, else an unsigned bigint) and the access (UC_MEM.READ, WRITE
   * or FETCH). Return the page's UC_PROT permissions to map it at the same physical address
   * (the engine's own mapping of that page holds the bytes), or 0 to refuse: emulation then
   * stops with UC_ERR_EXCEPTION and the pc (read in the hook or after start) is the
   * faulting instruction, exactly (2.1.4 restores the CPU state before the call).
   * Answer every permission of the page, not only the one asked: an entry filled with one
   * permission is refilled on the next access of another kind.
   */
  onTlbFill(cb: (page: number | bigint, access: number) => number): HookHandle {
    const encode = koffi.encode;
    const entry = this.tlbEntry;
    const result = { paddr: 0 as number | bigint, perms: 0 };
    const wrapped = (_uc: unknown, vaddr: number | bigint, type: number, out: unknown) => {
      try {
        const page = typeof vaddr === 'number' && vaddr >= 0 ? vaddr : BigInt.asUintN(64, BigInt(vaddr));
        const perms = cb(page, type);
        if (!perms) return false;
        result.paddr = page;
        result.perms = perms;
        encode(out, entry, result);
        return true;
      } catch (e) {
        this.fail(e);
        return false;
      }
    };
    if (!this.hasVirtualTlb) throw new UnicornError(UC_ERR.HOOK, 'uc_hook_add', ['UC_HOOK_TLB_FILL', 'needs Unicorn 2.1']);
    return this.addHook(UC_HOOK.TLB_FILL, load().cb.tlbFill, wrapped, 1n, 0n);
  }
}

/** A saved CPU state (uc_context); free() it, or let Engine.close() free it. */
export class EngineContext {
  private live = true;
  constructor(
    /** The uc_context pointer. */
    readonly pointer: bigint,
    private readonly api: UcApi,
    private readonly owner: Set<EngineContext>,
  ) {}

  /** uc_context_free. Idempotent. */
  free(): void {
    if (!this.live) return;
    this.live = false;
    this.owner.delete(this);
    this.api.uc_context_free(this.pointer);
  }
}

let libc: LibcApi | null = null;

/**
 * Host memory for uc_mem_map_ptr (Engine.memMapHost): anonymous, zeroed, page-aligned
 * (libc mmap), readable and writable from JS through `bytes` without a copy. Engines that
 * map it share its bytes. free() unmaps it; no engine may use it afterwards.
 */
export class HostMemory {
  private freed = false;
  /** The memory itself, as a JS view over the native pages. */
  readonly bytes: Uint8Array;

  private constructor(readonly pointer: bigint, readonly size: number) {
    this.bytes = new Uint8Array(koffi.view(pointer, size));
  }

  static allocate(size: number): HostMemory {
    if (!Number.isSafeInteger(size) || size <= 0 || size % 4096 !== 0) throw new RangeError(`HostMemory size must be a positive multiple of 4096, got ${size}`);
    if (!libc) {
      const lib = koffi.load('libc.so.6');
      libc = {
        mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset)') as LibcApi['mmap'],
        munmap: lib.func('int munmap(void *addr, size_t length)') as LibcApi['munmap'],
      };
    }
    const PROT_RW = 3;
    const MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    const ptr = libc.mmap(null, size, PROT_RW, MAP_PRIVATE_ANONYMOUS, -1, 0);
    if (ptr === null || BigInt.asIntN(64, BigInt(koffi.address(ptr))) === -1n) throw new Error(`mmap of ${size} bytes failed`);
    return new HostMemory(ptr, size);
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    libc!.munmap(this.pointer, this.size);
  }
}
