// The crash as one self-contained HTML page (`--html FILE` on emu and explain): the
// headline, the backtrace, the stack drawn as memory cells with the frame-pointer chain as
// arrows, the disassembly around the fault, the registers and, where DWARF names a file
// that can be found near the ELF, the source lines. Inline CSS and JS only: no network.

import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Explanation } from '../explain/explain.js';
import { recordLayout, stopPlace } from '../explain/explain.js';
import { InputError } from '../loader/errors.js';
import type { Crash, Frame } from '../pipeline.js';
import { headline, stopLine } from './text.js';
import { functionText } from '../symbolize/index.js';

/** Escape text for HTML element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

// ---------------------------------------------------------------------------------------
// Output file

function reason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // "ENOENT: no such file or directory, open '/x'" -> "no such file or directory"
  return /^[A-Z]+: ([^,]+)/.exec(m)?.[1] ?? m;
}

/** Fail early, before the guest runs, when `file` cannot be written (one line, exit 2). */
export function checkWritable(file: string): void {
  try {
    let st = null;
    try {
      st = statSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (st) {
      if (st.isDirectory()) throw new Error('EISDIR: is a directory');
      accessSync(file, constants.W_OK);
    } else {
      const dir = path.dirname(path.resolve(file));
      if (!statSync(dir).isDirectory()) throw new Error('ENOTDIR: not a directory');
      accessSync(dir, constants.W_OK);
    }
  } catch (e) {
    throw new InputError(`cannot write ${file}: ${reason(e)}`);
  }
}

export function writeHtml(file: string, html: string): void {
  try {
    writeFileSync(file, html);
  } catch (e) {
    throw new InputError(`cannot write ${file}: ${reason(e)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Source lines

export interface SourceSnippet {
  file: string;
  /** First line number shown. */
  first: number;
  lines: string[];
  line: number;
  column: number;
}

/** Find `file` (as DWARF names it) from the ELF's folder upward: guests/build/rv64/x.elf + src/x.c -> guests/src/x.c. */
export function findSource(elf: string, file: string): string | null {
  const ok = (p: string) => {
    try {
      const st = statSync(p);
      return st.isFile() && st.size < 4 << 20;
    } catch {
      return false;
    }
  };
  if (path.isAbsolute(file)) return ok(file) ? file : null;
  let dir = path.dirname(path.resolve(elf));
  for (;;) {
    const p = path.join(dir, file);
    if (ok(p)) return p;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

export function sourceSnippet(elf: string, f: Pick<Frame, 'file' | 'line' | 'column'>, around = 3, cache = new Map<string, string[] | null>()): SourceSnippet | null {
  if (!f.file || !(f.line > 0)) return null;
  let lines = cache.get(f.file);
  if (lines === undefined) {
    const p = findSource(elf, f.file);
    try {
      lines = p ? readFileSync(p, 'utf8').split(/\r?\n/) : null;
    } catch {
      lines = null;
    }
    cache.set(f.file, lines);
  }
  if (!lines || f.line > lines.length) return null;
  const first = Math.max(1, f.line - around);
  const last = Math.min(lines.length, f.line + around);
  return { file: f.file, first, lines: lines.slice(first - 1, last), line: f.line, column: f.column };
}

// ---------------------------------------------------------------------------------------
// The page

const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];
const colourOf = (i: number) => PALETTE[i % PALETTE.length]!;
const KEY_REGS = new Set(['pc', 'sp', 'fp', 'lr', 'ra', 's0', 'x29', 'x30', 'rip', 'rsp', 'rbp']);

function srcOf(f: Pick<Frame, 'file' | 'line' | 'column'>): string | null {
  return f.file ? `${f.file}:${f.line}${f.column ? `:${f.column}` : ''}` : null;
}

interface Cell {
  addr: bigint;
  value: bigint | null;
  /** The frame (walk index) whose record this slot is. */
  slotOf: number | null;
  slot: 'caller fp' | 'return address' | null;
  /** The frame (walk index) whose stretch of stack this word is in. */
  span: number | null;
  notes: string[];
}

export interface HtmlInput {
  crash: Crash;
  /** Null for a guest that exited normally (nothing to explain). */
  explanation: Explanation | null;
  /** The ELF path, to look for source files near it. */
  elf: string;
}

export function renderHtml({ crash, explanation: ex, elf }: HtmlInput): string {
  const digits = crash.ptrSize * 2;
  const hx = (v: bigint | null) => (v === null ? '(unreadable)' : '0x' + v.toString(16).padStart(digits, '0'));
  const o = crash.outcome;
  const badge = o.kind === 'exit' ? `exit ${o.exitCode}` : o.kind === 'signal' ? o.signal : o.kind === 'breakpoint' ? 'breakpoint' : 'timeout';
  const tone = o.kind === 'exit' || o.kind === 'breakpoint' ? 'ok' : o.kind === 'timeout' ? 'warn' : 'bad';
  const text = headline(crash).replace(/^crashlab: /, '');
  const detail = o.kind === 'exit' ? `guest exited with status ${o.exitCode}` : text.replace(/^\S+ guest (received \S+: |timed out: )/, '');
  const top = crash.frames[0];
  const title = o.kind === 'exit' ? `${path.basename(crash.elf)}: exited ${o.exitCode}` : `${badge} in ${top ? functionText(top) : '??'} — ${path.basename(crash.elf)}`;

  const meta: string[] = [
    `<span><b>arch</b> ${esc(crash.arch)}</span>`,
    `<span><b>ELF</b> <code>${esc(crash.elf)}</code></span>`,
    `<span><b>exit status</b> ${o.exitCode}</span>`,
  ];
  if (crash.fault) meta.push(`<span><b>pc</b> <code>${hx(crash.fault.pc)}</code></span>`);
  if (crash.fault?.memory) {
    const m = crash.fault.memory;
    meta.push(`<span><b>access</b> ${esc(`${m.access} of ${m.size} byte${m.size === 1 ? '' : 's'} at`)} <code>${hx(m.address)}</code> (${esc(m.cause)})</span>`);
  }

  const header = `<header class="top">
  <div class="brand">crashlab</div>
  <h1><span class="badge ${tone}">${esc(badge)}</span> <span class="reason">${esc(detail)}</span></h1>
  <p class="headline"><code>${esc(headline(crash))}</code></p>
  <div class="meta">${meta.join('')}</div>
</header>`;

  if (!ex || !crash.fault) {
    const body = `<main class="single"><section class="card"><h2>Nothing to explain</h2>
<p class="lead">The guest ran to completion and exited normally with status <b>${o.exitCode}</b>: there was no fault, so there is no backtrace, stack or faulting instruction to show.</p></section></main>`;
    return page(title, header + body, false);
  }

  // --- backtrace and source -----------------------------------------------------------
  const cache = new Map<string, string[] | null>();
  const snippets = crash.frames.map((f) => sourceSnippet(elf, f, 3, cache));
  const outerIndex = new Map<number, number>(); // walk index -> report index of its real (non-inlined) frame
  for (const f of crash.frames) if (!f.inlined || !outerIndex.has(f.walkIndex)) outerIndex.set(f.walkIndex, f.index);
  const outerFrame = (w: number) => crash.frames.find((f) => f.index === outerIndex.get(w));
  const frameLabel = (w: number) => {
    const f = outerFrame(w);
    return f ? `#${f.index} ${f.function ?? '??'}` : `frame ${w}`;
  };

  const rows = crash.frames.map((f, k) => {
    const src = srcOf(f);
    const snip = snippets[k];
    const lineText = snip ? snip.lines[snip.line - snip.first]!.trim() : null;
    const story = ex.frames[f.walkIndex];
    return `<li class="frame" data-frame="${f.walkIndex}" data-index="${f.index}" data-function="${esc(f.function ?? '??')}"${f.inlined ? ' data-inlined="true"' : ''} tabindex="0" role="button" aria-pressed="false" style="--c:${colourOf(f.walkIndex)}">
  <span class="fnum">#${f.index}</span>
  <span class="fmain"><span class="fn">${esc(functionText(f))}</span>${f.inlined ? ' <span class="tag inl">inlined</span>' : ''}
    <span class="floc">${src ? `<span class="file">${esc(src)}</span>` : '<span class="nofile">no line info</span>'}<span class="pc">${hx(f.pc)}</span></span>
    ${lineText !== null ? `<code class="sline">${esc(lineText)}</code>` : ''}
    ${story && !f.inlined ? `<span class="found">found by ${esc(story.foundBy)}</span>` : ''}
  </span>
</li>`;
  });
  const stop = stopLine(crash);
  const notes: string[] = [];
  notes.push(stop ? esc(stop) : 'The chain ends at <code>main</code>: start-up frames are not shown.');
  if (!crash.debugInfo) notes.push(crash.symbolTable ? `No debug info in <code>${esc(crash.elf)}</code>: frames are named from the ELF symbol table only.` : `No debug info and no symbol table in <code>${esc(crash.elf)}</code>: functions are unnamed.`);
  if (!crash.fault.pcExact) notes.push("Frame #0's pc is where the emulator reported the fault; the exact instruction could not be recovered.");
  const backtrace = `<section class="card" id="backtrace">
  <h2>Backtrace <span class="sub">${crash.frames.length} frame${crash.frames.length === 1 ? '' : 's'} · click one to find it on the stack</span></h2>
  <ol class="frames">${rows.join('\n')}</ol>
  ${notes.map((n) => `<p class="note">${n}</p>`).join('')}
</section>`;

  const sourcePanels = crash.frames
    .map((f, k) => {
      const s = snippets[k];
      if (!s) return '';
      const body = s.lines
        .map((l, j) => {
          const n = s.first + j;
          const here = n === s.line;
          let code = esc(l);
          if (here && s.column > 0 && s.column <= l.length + 1) {
            const c = s.column - 1;
            code = `${esc(l.slice(0, c))}<span class="colmark">${esc(l.slice(c, c + 1) || ' ')}</span>${esc(l.slice(c + 1))}`;
          }
          return `<div class="sl${here ? ' here' : ''}"><span class="ln">${n}</span><span class="lt">${code || ' '}</span></div>`;
        })
        .join('');
      return `<div class="src" data-source-for="${f.index}"${k === 0 ? '' : ' hidden'}>
  <div class="srcname"><span class="fnum">#${f.index}</span> ${esc(f.function ?? '??')} <span class="file">${esc(srcOf(f)!)}</span></div>
  <pre class="code">${body}</pre>
</div>`;
    })
    .filter(Boolean);
  const source = `<section class="card" id="source">
  <h2>Source</h2>
  ${sourcePanels.length ? sourcePanels.join('\n') : '<p class="note">No source file was found near the ELF for these frames.</p>'}
  <p class="note nosrc" hidden>No source shown for this frame (no line info, or the file was not found).</p>
</section>`;

  // --- disassembly --------------------------------------------------------------------
  let disasm: string;
  if (ex.code) {
    const code = ex.code;
    const tag = { fault: 'faulting instruction', delivered: 'signal delivered here', stopped: 'stopped here' }[stopPlace(crash)];
    const lines = code.insns.map((i, k) => {
      const bytes = [...i.bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      const f = k === code.fault;
      return `<tr class="insn${f ? ' fault' : ''}"${f ? ' data-fault="true"' : ''}><td class="mark">${f ? '▶' : ''}</td><td class="addr">${hx(i.addr)}</td><td class="bytes">${esc(bytes)}</td><td class="asm">${esc(i.text)}${f ? ` <span class="tag bad">${tag}</span>` : ''}</td></tr>`;
    });
    disasm = `<section class="card" id="disasm">
  <h2>Disassembly <span class="sub">${esc(code.where)}</span></h2>
  <table class="asmt">${lines.join('')}</table>
</section>`;
  } else {
    disasm = `<section class="card" id="disasm"><h2>Disassembly</h2><p class="note nocode">No code at <code>${hx(crash.fault.pc)}</code>: the pc is outside every executable segment.</p></section>`;
  }

  // --- registers ----------------------------------------------------------------------
  const regs = crash.registers
    .map((r) => `<div class="reg${KEY_REGS.has(r.name) ? ' key' : ''}"><span class="rn">${esc(r.name)}</span><span class="rv">${hx(r.value)}</span></div>`)
    .join('');
  const registers = `<section class="card" id="registers"><h2>Registers</h2><div class="regs">${regs || '<p class="note">none</p>'}</div></section>`;

  // --- the stack ----------------------------------------------------------------------
  const stack = stackSection(crash, ex, hx, frameLabel);

  const body = `<main class="grid">
  <div class="col">${backtrace}${source}${disasm}${registers}</div>
  <div class="col">${stack}</div>
</main>`;
  return page(title, header + body, true);
}

const ROW = 28; // px: one stack word per row (the arrows are drawn for this height)

function stackSection(crash: Crash, ex: Explanation, hx: (v: bigint | null) => string, frameLabel: (w: number) => string): string {
  const ptr = BigInt(ex.arch.ptrSize);
  const words = ex.stack;
  if (!words.length) {
    return `<section class="card" id="stack"><h2>Stack</h2><p class="note">The stack could not be read.</p></section>`;
  }
  const cells: Cell[] = words.map((w) => ({ ...w, slotOf: null, slot: null, span: null, notes: [] }));
  const byAddr = new Map(cells.map((c) => [c.addr, c]));
  for (const f of ex.frames) for (const s of f.record ?? []) {
    const c = byAddr.get(s.addr);
    if (c) {
      c.slotOf = f.index;
      c.slot = s.what;
    }
  }
  // Each frame's stretch: from its record's lowest slot (frame #0: from sp) up to the next
  // record's lowest slot (the outermost: to the end of its record).
  const lows = ex.frames.map((f) => (f.record ? f.record.reduce((m, s) => (s.addr < m ? s.addr : m), f.record[0]!.addr) : null));
  const highs = ex.frames.map((f) => (f.record ? f.record.reduce((m, s) => (s.addr > m ? s.addr : m), f.record[0]!.addr) + ptr : null));
  for (let i = 0; i < ex.frames.length; i++) {
    const lo = i === 0 ? cells[0]!.addr : lows[i];
    if (lo === null || lo === undefined) continue;
    let hi: bigint | null = null;
    for (let j = i + 1; j < ex.frames.length && hi === null; j++) hi = lows[j] ?? null;
    if (hi === null) hi = highs[i] ?? null;
    if (hi === null) continue;
    for (const c of cells) if (c.addr >= lo && c.addr < hi && c.span === null) c.span = i;
  }
  // What the words are.
  const pcs = new Map<bigint, number>();
  for (const f of ex.frames) if (f.index > 0) pcs.set(f.pc, f.index);
  cells[0]!.notes.push('<span class="ptr">sp</span>');
  for (const f of ex.frames) {
    if (f.fp === null) continue;
    const c = byAddr.get(f.fp);
    if (c) c.notes.push(`<span class="ptr" style="--c:${colourOf(f.index)}">fp of ${esc(frameLabel(f.index).split(' ')[0]!)}</span>`);
  }
  const lowAddr = cells[0]!.addr;
  const highAddr = cells[cells.length - 1]!.addr + ptr;
  for (const c of cells) {
    if (c.slot === 'return address' && c.value !== null) {
      const to = pcs.get(c.value);
      c.notes.push(to !== undefined ? `returns into <b>${esc(frameLabel(to))}</b>` : 'returns into start-up code');
    } else if (c.slot === 'caller fp') {
      c.notes.push(c.value === 0n ? 'null: the chain ends' : `→ caller's fp`);
    } else if (c.value !== null && c.value >= lowAddr && c.value < highAddr + 0x1000n) {
      c.notes.push('<span class="dim">points into the stack</span>');
    }
  }

  // Rows: high addresses at the top, as the stack grows down.
  const order = cells.map((_, k) => cells.length - 1 - k);
  const rowOf = (addr: bigint) => {
    const k = cells.findIndex((c) => c.addr === addr);
    return k < 0 ? -1 : cells.length - 1 - k;
  };
  const rows = order.map((k) => {
    const c = cells[k]!;
    const attrs: string[] = [];
    const cls = ['cell'];
    if (c.slotOf !== null) {
      attrs.push(`data-frame="${c.slotOf}"`, `data-slot="${c.slot === 'caller fp' ? 'caller-fp' : 'return-address'}"`);
      cls.push('slot', c.slot === 'caller fp' ? 'cfp' : 'ra');
    }
    if (c.span !== null) attrs.push(`data-span="${c.span}"`);
    const colour = c.slotOf ?? c.span;
    const style = colour !== null ? ` style="--c:${colourOf(colour)}"` : '';
    const chip = c.slotOf !== null ? `<span class="chip">${esc(frameLabel(c.slotOf).split(' ')[0]!)} ${esc(c.slot!)}</span>` : '';
    const spanTop = c.span !== null && cells[k + 1]?.span !== c.span ? `<span class="fname">${esc(frameLabel(c.span))}</span>` : '';
    return `<div class="${cls.join(' ')}"${attrs.length ? ' ' + attrs.join(' ') : ''} data-addr="${hx(c.addr)}"${style}><span class="a">${hx(c.addr)}</span><span class="v${c.value === null ? ' unread' : ''}">${hx(c.value)}</span><span class="n">${chip}${c.notes.join(' ')}${spanTop}</span></div>`;
  });

  // The fp chain: an arrow from each record's caller-fp slot to the record it points to.
  const G = 72; // gutter width
  const arrows: string[] = [];
  const markers: string[] = [];
  ex.frames.forEach((f, i) => {
    const slot = f.record?.find((s) => s.what === 'caller fp');
    if (!slot || slot.value === null || slot.value === 0n) return;
    const from = rowOf(slot.addr);
    if (from < 0) return;
    const next = ex.frames[i + 1];
    const nextSlot = next?.fp === slot.value ? next.record?.find((s) => s.what === 'caller fp') : undefined;
    let to = nextSlot ? rowOf(nextSlot.addr) : rowOf(slot.value);
    const col = colourOf(f.index);
    const y1 = from * ROW + ROW / 2;
    markers.push(`<marker id="ah${i}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${col}"/></marker>`);
    if (to < 0) {
      // Points outside the words shown: an arrow off the top.
      arrows.push(`<path d="M${G - 2},${y1} C${G - 40},${y1} ${G - 40},${y1} ${G - 40},4" stroke="${col}" fill="none" stroke-width="2" stroke-dasharray="4 3" marker-end="url(#ah${i})" data-arrow-from="${f.index}"/>`);
      return;
    }
    if (to === from) to = from - 1;
    const y2 = to * ROW + ROW / 2;
    const bulge = Math.min(G - 8, 22 + Math.abs(y1 - y2) * 0.12);
    arrows.push(`<path d="M${G - 2},${y1} C${G - 2 - bulge},${y1} ${G - 2 - bulge},${y2} ${G - 4},${y2}" stroke="${col}" fill="none" stroke-width="2" marker-end="url(#ah${i})" data-arrow-from="${f.index}"/>`);
  });
  const h = cells.length * ROW;
  const svg = `<svg class="arrows" width="${G}" height="${h}" viewBox="0 0 ${G} ${h}" aria-hidden="true"><defs>${markers.join('')}</defs>${arrows.join('')}</svg>`;

  const legend = ex.frames
    .filter((f) => f.record)
    .map((f) => `<span class="lg" style="--c:${colourOf(f.index)}"><i></i>${esc(frameLabel(f.index))}</span>`)
    .join('');
  return `<section class="card" id="stack">
  <h2>Stack <span class="sub">${cells.length} words of ${ex.arch.ptrSize} bytes · high addresses at the top</span></h2>
  <p class="note">${esc(ex.arch.name)} frame record: ${esc(recordLayout(ex.arch))}. Arrows follow each saved caller fp to the record it points to.</p>
  <div class="legend">${legend}</div>
  <div class="mem-head" style="--gutter:${G}px;--aw:${ex.arch.ptrSize * 2 + 4}ch"><span></span><span>address</span><span>value</span><span>what it is</span></div>
  <div class="mem" style="--row:${ROW}px;--gutter:${G}px;--aw:${ex.arch.ptrSize * 2 + 4}ch">${svg}<div class="cells">${rows.join('\n')}</div></div>
</section>`;
}

const CSS = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1c2330;--mute:#667085;--line:#e4e7ec;--bad:#c62828;--ok:#15803d;--warn:#b45309;
--mono:ui-monospace,"SFMono-Regular","DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace;
--sans:system-ui,-apple-system,"Segoe UI","Noto Sans","DejaVu Sans","Liberation Sans",Helvetica,Arial,sans-serif}
*{box-sizing:border-box}
html,body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 var(--sans)}
code,pre,.a,.v,.pc,.rv,.addr,.bytes,.asm,.ln,.lt,.file{font-family:var(--mono);font-size:12.5px}
.top{background:#111827;color:#f9fafb;padding:18px 28px 16px}
.brand{font:600 11px/1 var(--sans);letter-spacing:.14em;text-transform:uppercase;color:#9ca3af;margin-bottom:8px}
h1{margin:0;font-size:22px;font-weight:600;display:flex;align-items:center;gap:12px;flex-wrap:wrap}
.badge{font:700 13px/1 var(--mono);padding:6px 10px;border-radius:6px;letter-spacing:.03em}
.badge.bad{background:#fee2e2;color:#991b1b}.badge.ok{background:#dcfce7;color:#166534}.badge.warn{background:#fef3c7;color:#92400e}
.headline{margin:8px 0 10px;color:#d1d5db}.headline code{font-size:12px}
.meta{display:flex;flex-wrap:wrap;gap:6px 22px;color:#d1d5db;font-size:13px}
.meta b{color:#9ca3af;font-weight:500;margin-right:4px}
.meta code{color:#f9fafb}
main{padding:20px 28px 40px;max-width:1400px;margin:0 auto}
.grid{display:grid;grid-template-columns:minmax(0,5fr) minmax(0,7fr);gap:20px;align-items:start}
.col{display:flex;flex-direction:column;gap:20px;min-width:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px 16px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
#stack{position:sticky;top:12px}
h2{margin:0 0 10px;font-size:15px;font-weight:650;display:flex;align-items:baseline;gap:10px;flex-wrap:wrap}
h2 .sub{font-size:12px;font-weight:400;color:var(--mute)}
.note{color:var(--mute);font-size:12.5px;margin:8px 0 0}
.lead{font-size:15px}
.dim{color:var(--mute)}
.frames{list-style:none;margin:0;padding:0}
.frame{display:flex;gap:10px;padding:7px 10px;border-radius:8px;border-left:4px solid var(--c);margin-bottom:4px;cursor:pointer;background:#fafbfc;outline:none}
.frame:hover{background:#f1f4f8}
.frame:focus-visible{box-shadow:0 0 0 2px #93c5fd}
.frame.selected{background:color-mix(in srgb,var(--c) 12%,#fff);box-shadow:inset 0 0 0 1px color-mix(in srgb,var(--c) 45%,#fff)}
.fnum{font:600 12.5px/1.6 var(--mono);color:var(--mute);min-width:26px}
.fmain{display:flex;flex-direction:column;min-width:0;flex:1}
.fn{font:600 14px/1.5 var(--mono)}
.floc{display:flex;justify-content:space-between;gap:10px;color:var(--mute)}
.floc .file{color:#1d4ed8}.nofile{font-style:italic;font-size:12px}
.pc{color:var(--mute)}
.sline{display:block;margin-top:3px;color:#334155;white-space:pre;overflow:hidden;text-overflow:ellipsis}
.found{font-size:11.5px;color:#98a2b3;margin-top:2px}
.tag{font:600 10.5px/1 var(--sans);padding:3px 6px;border-radius:4px;text-transform:uppercase;letter-spacing:.05em;vertical-align:2px}
.tag.inl{background:#ede9fe;color:#5b21b6}.tag.bad{background:#fee2e2;color:#991b1b;margin-left:8px}
.srcname{font-size:13px;margin-bottom:6px}.srcname .file{color:#1d4ed8;margin-left:6px}
pre.code{margin:0;background:#0f172a;color:#e2e8f0;border-radius:8px;padding:8px 0;overflow-x:auto}
.sl{display:flex;padding:0 12px}
.sl .ln{width:3.2em;text-align:right;padding-right:14px;color:#64748b;user-select:none;flex:none}
.sl .lt{white-space:pre}
.sl.here{background:rgba(248,113,113,.18);box-shadow:inset 3px 0 0 #f87171}
.sl.here .ln{color:#fca5a5}
.colmark{text-decoration:underline wavy #f87171;text-underline-offset:3px}
.asmt{border-collapse:collapse;width:100%}
.asmt td{padding:3px 8px;white-space:nowrap}
.asmt .mark{width:18px;color:var(--bad);padding-right:0}
.asmt .addr{color:var(--mute)}.asmt .bytes{color:#98a2b3}
.asmt .asm{width:100%}
.insn.fault{background:#fef2f2}.insn.fault td{color:#991b1b;font-weight:600}
.insn.fault td:first-child{box-shadow:inset 3px 0 0 var(--bad)}
.regs{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:4px 16px}
.reg{display:flex;gap:10px;padding:3px 8px;border-radius:5px}
.reg .rn{font:600 12.5px var(--mono);min-width:3em;color:#475467}
.reg.key{background:#f1f5f9}.reg.key .rn{color:#1d4ed8}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:10px 0 8px;font-size:12.5px}
.lg{display:inline-flex;align-items:center;gap:6px}.lg i{width:11px;height:11px;border-radius:3px;background:var(--c)}
.mem-head,.cell{display:grid;grid-template-columns:var(--gutter,72px) var(--aw) var(--aw) minmax(0,1fr);align-items:center;font-family:var(--mono)}
.mem-head{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--mute);padding:0 0 4px}
.mem-head span:nth-child(2),.mem-head span:nth-child(3){padding-left:10px}
.mem{position:relative;max-height:calc(100vh - 190px);min-height:120px;overflow:auto;border-top:1px solid var(--line)}
.arrows{position:absolute;left:0;top:0;pointer-events:none;overflow:visible}
.cell{height:var(--row);border-bottom:1px solid #f0f2f5;font-size:12.5px}
.cell>.a{grid-column:2;padding-left:10px;color:var(--mute)}
.cell>.v{grid-column:3;padding-left:10px}
.cell>.n{grid-column:4;padding-left:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font:12px var(--sans);color:#475467;display:flex;align-items:center;gap:6px}
.cell>.n b{font-weight:600;font-family:var(--mono)}
.cell .unread{color:#98a2b3;font-style:italic}
.cell[data-span]{background:color-mix(in srgb,var(--c) 5%,#fff)}
.cell[data-span]>.a{box-shadow:inset 3px 0 0 color-mix(in srgb,var(--c) 55%,#fff)}
.cell.slot{background:color-mix(in srgb,var(--c) 14%,#fff)}
.cell.slot>.v{font-weight:600;color:color-mix(in srgb,var(--c) 70%,#000)}
.chip{flex:none;font:600 11px/1 var(--sans);color:#fff;background:var(--c);border-radius:4px;padding:4px 7px}
.ptr{flex:none;font:600 10.5px/1 var(--mono);border:1px solid var(--c,#475467);color:var(--c,#475467);border-radius:4px;padding:2px 5px;background:#fff}
.fname{margin-left:auto;flex:none;font:600 11.5px var(--mono);color:var(--c);padding-right:8px}
.cell.in-selected{background:color-mix(in srgb,var(--c) 16%,#fff)}
.cell.slot.selected{background:color-mix(in srgb,var(--c) 34%,#fff);box-shadow:inset 0 0 0 2px var(--c)}
.has-selection .cell:not(.in-selected):not(.selected){opacity:.6}
.single{max-width:900px}
[hidden]{display:none!important}
`;

const JS = `
(function(){
  var frames=[].slice.call(document.querySelectorAll('.frame'));
  var cells=[].slice.call(document.querySelectorAll('.cell'));
  var mem=document.querySelector('.mem');
  function select(row){
    var w=row.getAttribute('data-frame'), idx=row.getAttribute('data-index');
    frames.forEach(function(f){var on=f.getAttribute('data-frame')===w;f.classList.toggle('selected',on);f.setAttribute('aria-pressed',on?'true':'false');});
    cells.forEach(function(c){
      c.classList.toggle('selected',c.getAttribute('data-frame')===w);
      c.classList.toggle('in-selected',c.getAttribute('data-span')===w);
    });
    if(mem){mem.classList.add('has-selection');}
    var shown=false;
    [].forEach.call(document.querySelectorAll('[data-source-for]'),function(s){var on=s.getAttribute('data-source-for')===idx;s.hidden=!on;shown=shown||on;});
    var ns=document.querySelector('.nosrc'); if(ns){ns.hidden=shown;}
    var first=document.querySelector('.cell.selected')||document.querySelector('.cell.in-selected');
    if(first&&mem){var top=first.offsetTop-mem.clientHeight/3; if(first.offsetTop<mem.scrollTop||first.offsetTop>mem.scrollTop+mem.clientHeight-40){mem.scrollTop=Math.max(0,top);}}
  }
  frames.forEach(function(f){
    f.addEventListener('click',function(){select(f);});
    f.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();select(f);}});
  });
  if(frames.length){select(frames[0]);}
})();
`;

function page(title: string, body: string, script: boolean): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
${script ? `<script>${JS}</script>` : ''}
</body>
</html>
`;
}
