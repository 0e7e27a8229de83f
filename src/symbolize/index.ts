// The symbolize stage: ELF symbols for names and offsets, DWARF (when present) for
// file:line:column and inlined calls. One object answers "what is at this pc" for the
// emu pipeline, `crashlab symbolize` and `crashlab addr2line` alike.

import type { ElfFile } from '../loader/elf.js';
import { NoChain, tailCallFrames, type CallSiteGraph } from '../unwind/tailcall.js';
import { DwarfInfo, type CallSiteRecord } from './dwarf/index.js';
import { SymbolTable } from './symbols.js';

export interface Location {
  /** Function name: the inlined callee for inlined frames, else the ELF symbol (or DWARF's name). */
  function: string | null;
  /** pc minus the function symbol's start; null for inlined frames and unknown functions. */
  offset: bigint | null;
  file: string | null;
  /** 0 when unknown. */
  line: number;
  /** 0 when unknown. */
  column: number;
  inlined: boolean;
}

export class Symbolizer {
  private constructor(
    readonly symbols: SymbolTable,
    private readonly dwarf: DwarfInfo | null,
    /** Why DWARF could not be used at all, if it could not. */
    readonly dwarfError: string | null,
    private readonly names: 'llvm' | 'gdb' = 'llvm',
  ) {}

  /**
   * names: 'llvm' names functions as llvm-symbolizer does (symbolize, addr2line); 'gdb' as
   * gdb's backtrace does (emu). Both prefer the DWARF subprogram's name, which covers a
   * function's cold part too (validate, not validate.cold); they differ in which of
   * several ELF symbols at one address names code without DWARF (see SymbolTable.fromElf)
   * and in which line-table row gives the line (LineTable.find: DWARF's rule or gdb's).
   */
  static fromElf(elf: ElfFile, names: 'llvm' | 'gdb' = 'llvm'): Symbolizer {
    const symbols = SymbolTable.fromElf(elf, names);
    let dwarf: DwarfInfo | null = null;
    let err: string | null = null;
    try {
      dwarf = DwarfInfo.fromElf(elf);
    } catch (e) {
      err = (e as Error).message;
    }
    return new Symbolizer(symbols, dwarf, err, names);
  }

  get hasDebugInfo(): boolean {
    return this.dwarf !== null;
  }

  /** Warnings about corrupt debug info met so far (one line each). */
  get warnings(): readonly string[] {
    return [...(this.dwarfError ? [this.dwarfError] : []), ...(this.dwarf?.warnings ?? [])];
  }

  /** All debug-info warnings folded into one line, or null if there were none. */
  warningSummary(elfPath: string): string | null {
    const w = this.warnings;
    if (!w.length) return null;
    return `${elfPath}: corrupt debug info (symbols used where it fails): ${w[0]}${w.length > 1 ? ` (and ${w.length - 1} more)` : ''}`;
  }

  /**
   * gdb's tail-call frames between a callee (at calleePc) and its caller (returning to
   * callerPc), innermost first (src/unwind/tailcall.ts); none without DWARF.
   */
  tailCalls(callerPc: bigint, calleePc: bigint): bigint[] {
    const dwarf = this.dwarf;
    if (!dwarf) return [];
    const symbols = this.symbols;
    const graph: CallSiteGraph<CallSiteRecord> = {
      siteAt: (pc) => dwarf.callSiteAt(pc),
      targets(site) {
        const t = site.target;
        if (t.kind === 'addrs') return t.addrs;
        const at = t.kind === 'name' ? symbols.addressOf(t.name) : null;
        if (at === null) throw new NoChain(`call site ${site.pc.toString(16)}: target not known without registers`);
        return [at];
      },
      tailCallsOf(addr) {
        const f = dwarf.functionAt(addr);
        if (!f || f.entry !== addr) throw new NoChain(`no function starts at ${addr.toString(16)}`);
        return f.tailCalls();
      },
      functionStart: (pc) => dwarf.functionAt(pc)?.entry ?? symbols.functionAt(pc)?.start ?? null,
    };
    return tailCallFrames(graph, callerPc, calleePc);
  }

  /**
   * A tail-call frame at pc (a call site's return pc): named and placed one byte back, by the
   * innermost function there, with no inlined frames of its own (gdb's tail-call frame).
   */
  locateTailCall(pc: bigint): Location {
    return { ...this.locate(pc, true)[0]!, inlined: false };
  }

  /**
   * Innermost first; never empty. A return address (a caller frame) is looked up one byte
   * back, so it names the call, not the instruction after it, as gdb does.
   */
  locate(pc: bigint, isReturnAddress: boolean): Location[] {
    const at = isReturnAddress && pc > 0n ? pc - 1n : pc;
    const hit = this.symbols.lookup(at);
    const offset = hit ? pc - hit.start : null;
    let src: ReturnType<DwarfInfo['lookup']> = [];
    try {
      src = this.dwarf?.lookup(at, this.names === 'gdb' ? 'gdb' : 'dwarf') ?? [];
    } catch {
      src = []; // the reader records its own warning
    }
    if (src.length === 0) return [{ function: hit?.name ?? null, offset, file: null, line: 0, column: 0, inlined: false }];
    return src.map((s, i) => {
      const outer = i === src.length - 1;
      // The DWARF subprogram names the real function (a cold part's symbol is
      // name.cold); the offset is from the symbol, so it is given only when they agree.
      const name = outer ? s.function ?? hit?.name ?? null : s.function;
      return {
        function: name,
        offset: outer && (s.function === null || s.function === hit?.name) ? offset : null,
        file: s.file,
        line: s.line,
        column: s.column,
        inlined: !outer,
      };
    });
  }
}

/** "src/x.c:12:7", "src/x.c:12", or null when the file is unknown. */
export function sourceText(l: Pick<Location, 'file' | 'line' | 'column'>): string | null {
  if (!l.file) return null;
  return l.line ? `${l.file}:${l.line}${l.column ? `:${l.column}` : ''}` : l.file;
}

/** "bt_leaf+0x1a"; just the name when there is no offset (inlined); "??" when unknown. */
export function functionText(l: Pick<Location, 'function' | 'offset'>): string {
  return l.function === null ? '??' : l.offset === null ? l.function : `${l.function}+0x${l.offset.toString(16)}`;
}

/** "bt_leaf+0x1a at src/null-write.c:7:8", with " (inlined)" for inlined calls. */
export function locationText(l: Pick<Location, 'function' | 'offset' | 'file' | 'line' | 'column' | 'inlined'>): string {
  const src = sourceText(l);
  return `${functionText(l)}${src ? ` at ${src}` : ''}${l.inlined ? ' (inlined)' : ''}`;
}
