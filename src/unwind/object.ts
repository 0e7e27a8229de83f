// The unwind evidence of one loaded object, looked up by pc: its call frame information,
// the prologue analysis of its functions, and the functions' bounds (ELF symbols, else
// the FDE ranges of a program without .symtab, else the entries its code names: ./entries.ts). The walker asks these by pc only, so a
// process with several objects can answer from the one that holds pc. `bias` is the
// object's load bias (run-time address minus link-time address; 0 for a static ET_EXEC).

import type { ArchName } from '../arch/index.js';
import { PF_X, PT_LOAD, SHF_EXECINSTR, SHT_NOBITS, type ElfFile } from '../loader/elf.js';
import type { SymbolTable } from '../symbolize/symbols.js';
import { CallFrameInfo, type CfiRow } from './cfi.js';
import { findFunctions, indexOf, type Functions } from './entries.js';
import { epilogueRow } from './epilogue.js';
import { ARCHES, analyzeFunction, type FunctionAnalysis } from './prologue.js';

/** Functions larger than this are not decoded (a bad symbol size, not a function). */
const MAX_ANALYZED_FUNCTION = 1n << 20n;

export interface UnwindObject {
  readonly bias: bigint;
  readonly cfi: CallFrameInfo;
  /** The CFI row at a run-time pc (rows are rebased by bias). */
  rowAt(pc: bigint): CfiRow | null;
  /** The row the function's decoded prologue implies at pc, or null. */
  prologueRowAt(pc: bigint): CfiRow | null;
  /** Bounds of the function containing pc: its symbol, else its FDE's range. */
  functionAt(pc: bigint): { start: bigint; end: bigint; name: string | null } | null;
  /** Whether the instruction just before addr is a call (what every return address follows). */
  followsCall(addr: bigint): boolean;
  /**
   * For frame #0: the row the function's code proves at pc, where it proves one: read
   * forward to its return (./epilogue.ts), else from its entry when pc is on the entry path
   * (one path, no merge). Null elsewhere.
   */
  codeRowAt(pc: bigint): { row: CfiRow; evidence: 'epilogue' | 'prologue' } | null;
}

export function unwindObject(
  elf: ElfFile,
  symbols: SymbolTable,
  arch: ArchName,
  readCode: (addr: bigint, n: number) => Uint8Array | null,
  bias = 0n,
): UnwindObject {
  const cfi = CallFrameInfo.fromElf(elf);
  const analyses = new Map<bigint, FunctionAnalysis | null>();
  const rebase = (row: CfiRow | null): CfiRow | null =>
    row && bias !== 0n ? { ...row, fdeStart: row.fdeStart + bias, fdeEnd: row.fdeEnd + bias, rowStart: row.rowStart + bias } : row;
  // A program without symbols: the functions its code names (./entries.ts), found on first use.
  let found: Functions | null = null;
  const entryAt = (at: bigint): { start: bigint; end: bigint } | null => {
    if (!found) {
      // Executable sections (not a whole segment: its read-only data would decode as code),
      // else, without section headers, the executable segments.
      const sections = elf.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0n && s.type !== SHT_NOBITS && s.size > 0n);
      const code = sections.length
        ? sections.map((s) => ({ addr: s.addr, bytes: elf.bytes.subarray(Number(s.offset), Number(s.offset + s.size)) }))
        : elf.segments
            .filter((s) => s.type === PT_LOAD && (s.flags & PF_X) !== 0 && s.filesz > 0n)
            .map((s) => ({ addr: s.vaddr, bytes: elf.bytes.subarray(Number(s.offset), Number(s.offset + s.filesz)) }));
      const fdes = cfi.fdeStarts();
      found = findFunctions(arch, code, [elf.entry, ...fdes], fdes);
    }
    const i = indexOf(found, at);
    return i === null ? null : { start: found.starts[i]!, end: found.ends[i]! };
  };
  const functionAt = (pc: bigint) => {
    const at = pc - bias;
    const f = symbols.functionAt(at);
    if (f) return { start: f.start + bias, end: f.end + bias, name: f.name };
    const r = cfi.rangeAt(at) ?? (symbols.functions.length ? null : entryAt(at));
    return r ? { start: r.start + bias, end: r.end + bias, name: null } : null;
  };
  /**
   * Whether addr is a function's entry (the target of a tail call, not a jump to a
   * `.cold` fragment of the same frame): its FDE starts there with the row a call leaves
   * (CFA = sp, plus the return address on x86-64, nothing saved yet); without an FDE, a
   * symbol that starts there and does not name a `.cold` part.
   */
  const isEntry = (addr: bigint): boolean => {
    const row = cfi.rowAt(addr - bias);
    if (row) {
      const sp = arch === 'x86-64' ? 7 : arch === 'aarch64' ? 31 : 2;
      const onlyRa = [...row.regs].every(([r, x]) => x.kind === 'same' || (arch === 'x86-64' && r === row.returnColumn && x.kind === 'offset' && x.offset === -8n));
      return row.fdeStart === addr - bias && row.cfa.kind === 'reg' && row.cfa.reg === sp && row.cfa.offset === (arch === 'x86-64' ? 8n : 0n) && onlyRa;
    }
    const f = functionAt(addr);
    return !!f && f.start === addr && !f.name?.endsWith('.cold');
  };
  const codes = new Map<bigint, Uint8Array | null>();
  /** The function containing pc with its code, when it can be analysed. */
  const analysable = (pc: bigint) => {
    const f = functionAt(pc);
    // A .cold fragment starts inside its parent's frame: its start is no prologue.
    if (!f || f.name?.endsWith('.cold') || f.end - f.start > MAX_ANALYZED_FUNCTION) return null;
    let code = codes.get(f.start);
    if (code === undefined) codes.set(f.start, (code = readCode(f.start, Number(f.end - f.start))));
    return code ? { f, code } : null;
  };
  const analysis = (pc: bigint): FunctionAnalysis | null => {
    const fc = analysable(pc);
    if (!fc) return null;
    let a = analyses.get(fc.f.start);
    if (a === undefined) analyses.set(fc.f.start, (a = analyzeFunction(arch, fc.code, fc.f.start)));
    return a;
  };
  return {
    bias,
    cfi,
    rowAt: (pc) => rebase(cfi.rowAt(pc - bias)),
    functionAt,
    prologueRowAt: (pc) => analysis(pc)?.rowAt(pc) ?? null,
    followsCall(addr) {
      // Instructions are 2 to 15 bytes long: one that ends exactly at addr and is a call.
      const decode = ARCHES[arch].decode;
      for (let len = 2; len <= 15; len++) {
        const bytes = readCode(addr - BigInt(len), len);
        const insn = bytes && decode(bytes, 0, addr - BigInt(len));
        if (insn?.len === len && insn.flow === 'call') return true;
      }
      return false;
    },
    codeRowAt(pc) {
      const fc = analysable(pc);
      if (!fc) return null;
      const epi = epilogueRow(arch, fc.code, fc.f.start, fc.f.end, pc, isEntry);
      if (epi) return { row: epi, evidence: 'epilogue' };
      const a = analysis(pc)!;
      const row = a.onEntryPath(pc) ? a.rowAt(pc) : null;
      return row ? { row, evidence: 'prologue' } : null;
    },
  };
}
