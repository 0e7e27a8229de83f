// Function lookup from the ELF symbol table: sorted ranges, binary search.
// A symbol without a size (hand-written assembly such as _start) extends to the next
// function symbol or the end of its section.

import type { ElfFile } from '../loader/elf.js';
import { SHF_EXECINSTR } from '../loader/elf.js';

export interface FunctionSymbol {
  name: string;
  start: bigint;
  end: bigint;
}

export interface SymbolHit {
  name: string;
  start: bigint;
  end: bigint;
  offset: bigint;
}

export class SymbolTable {
  readonly functions: readonly FunctionSymbol[];
  /** Sized data symbols, sorted: a pc in data (a jump into .data) is named after them, as gdb does. */
  readonly objects: readonly FunctionSymbol[];

  /** Every code symbol's address by name, aliases included (the first symbol of a name wins). */
  private readonly addresses: ReadonlyMap<string, bigint>;

  constructor(functions: FunctionSymbol[], objects: FunctionSymbol[] = [], addresses?: ReadonlyMap<string, bigint>) {
    this.functions = functions;
    this.objects = objects;
    this.addresses = addresses ?? new Map(functions.map((f) => [f.name, f.start]));
  }

  /**
   * aliases: which of several symbols at one address names it. 'llvm' (the default, what
   * llvm-symbolizer prints for `symbolize` and `addr2line`): a typed function, then a sized
   * one, then global over weak over local, then the first name in byte order. 'gdb' (the
   * emu trace): a sized symbol, then a global or weak one over a local, then the last name
   * in byte order, as gdb's minimal symbols sort equal addresses by name and take the last
   * (measured: every alias group of static glibc and musl on x86-64, aarch64 and rv64, 526
   * groups, gives gdb's choice: __libc_start_main_impl, qsort_r, raise, write).
   */
  static fromElf(elf: ElfFile, aliases: 'llvm' | 'gdb' = 'llvm'): SymbolTable {
    const better = aliases === 'gdb' ? gdbPrefers : llvmPrefers;
    const execSections = elf.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0n && s.size > 0n);
    const sectionEnd = (addr: bigint): bigint | null => {
      const s = execSections.find((x) => addr >= x.addr && addr < x.addr + x.size);
      return s ? s.addr + s.size : null;
    };
    // Function symbols, plus untyped global labels inside code (e.g. `_start` from assembly).
    const cands = elf.symbols.filter(
      (s) => s.name !== '' && s.section !== 0 && (s.kind === 'func' || (s.kind === 'other' && sectionEnd(s.value) !== null && !s.name.startsWith('$') && !s.name.startsWith('.L'))),
    );
    // One entry per start address: prefer a typed function, then a sized one, then the name.
    const byStart = new Map<bigint, (typeof cands)[number]>();
    for (const s of cands) {
      const prev = byStart.get(s.value);
      if (!prev || better(s, prev)) byStart.set(s.value, s);
    }
    const sorted = [...byStart.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    const fns: FunctionSymbol[] = [];
    sorted.forEach((s, i) => {
      let end: bigint | null = s.size > 0n ? s.value + s.size : null;
      if (end === null) {
        const next = sorted[i + 1]?.value ?? null;
        const secEnd = sectionEnd(s.value);
        end = next !== null && (secEnd === null || next < secEnd) ? next : secEnd ?? s.value + 1n;
      }
      fns.push({ name: s.name, start: s.value, end });
    });
    const objects = elf.symbols
      .filter((s) => s.kind === 'object' && s.size > 0n && s.section !== 0 && s.name !== '')
      .map((s) => ({ name: s.name, start: s.value, end: s.value + s.size }))
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const addresses = new Map<string, bigint>();
    for (const c of cands) if (!addresses.has(c.name)) addresses.set(c.name, c.value);
    return new SymbolTable(fns, objects, addresses);
  }

  /** The function containing addr, else the data object containing it, or null. */
  lookup(addr: bigint): SymbolHit | null {
    return find(this.functions, addr) ?? find(this.objects, addr);
  }

  /** The function containing addr (never a data object), or null. */
  functionAt(addr: bigint): SymbolHit | null {
    return find(this.functions, addr);
  }

  byName(name: string): FunctionSymbol | undefined {
    return this.functions.find((f) => f.name === name);
  }

  /** The address of the code symbol with this name, an alias that names no entry of `functions` included. */
  addressOf(name: string): bigint | null {
    return this.addresses.get(name) ?? null;
  }
}

/** Binary search for the last symbol starting at or before addr that also covers it. */
function find(f: readonly FunctionSymbol[], addr: bigint): SymbolHit | null {
  let lo = 0;
  let hi = f.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (f[mid]!.start <= addr) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // Sized symbols may nest or leave gaps: look back a little for one that covers addr.
  for (let i = best; i >= 0 && i > best - 8; i--) {
    const s = f[i]!;
    if (addr >= s.start && addr < s.end) return { name: s.name, start: s.start, end: s.end, offset: addr - s.start };
  }
  return null;
}

type Candidate = { name: string; kind: string; size: bigint; bind?: string };

/** Among symbols at one address: a typed function, then a sized one, then global over weak over local. */
function rank(s: Candidate): number {
  return (s.kind === 'func' ? 8 : 0) + (s.size > 0n ? 4 : 0) + (s.bind === 'global' ? 2 : s.bind === 'weak' ? 1 : 0);
}

function llvmPrefers(s: Candidate, prev: Candidate): boolean {
  return rank(s) > rank(prev) || (rank(s) === rank(prev) && s.name < prev.name);
}

/** Byte order of names, as strcmp compares them. */
const byteCmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function gdbPrefers(s: Candidate, prev: Candidate): boolean {
  const key = (c: Candidate) => (c.size > 0n ? 2 : 0) + (c.bind === 'local' ? 0 : 1);
  return key(s) > key(prev) || (key(s) === key(prev) && byteCmp(s.name, prev.name) > 0);
}
