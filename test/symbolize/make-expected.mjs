#!/usr/bin/env node
// make-expected.mjs: build the llvm-symbolizer oracle for crashlab's DWARF reader
// (src/symbolize/dwarf/, checked by test/symbolize/agreement.test.ts).
//
// Usage (from anywhere; paths are resolved against the repo root):
//   node test/symbolize/make-expected.mjs
//
// Needs llvm-objdump and llvm-symbolizer from LLVM 14 (Debian 12: the llvm-14 package;
// `llvm-objdump-14` / `llvm-symbolizer-14` are used when present, else the unversioned
// names; override with $LLVM_OBJDUMP / $LLVM_SYMBOLIZER). The guests must be built
// (`make -C guests`, see guests/README.md).
//
// ELFs: every guests/build/<arch>/<name>.elf (big.elf skipped) and every
// guests/build/<arch>/variants/<name>.elf, except those without DWARF (no .debug_info
// and no .debug_line, e.g. variants/null-write-g0.elf). For each one:
//   1. every instruction address in .text, from `llvm-objdump -d -j .text`;
//   2. one `llvm-symbolizer --obj=ELF --inlines --functions=short --output-style=JSON`
//      process, all addresses on stdin, one JSON line back per address;
//   3. written to test/symbolize/expected/<arch>/<name>.json (variants:
//      test/symbolize/expected/<arch>/variants/<name>.json, mirroring guests/build):
//        { "0x<hex address>": [ {"function": ..., "file": ..., "line": N, "column": N}, ... ], ... }
//      frames innermost first (llvm-symbolizer's order), addresses ascending, one line
//      per address.
//
// Normalization of llvm-symbolizer's answers:
//   * function: "" (JSON style's "unknown"; the LLVM style prints "??") or "??" -> null.
//   * file: "" or "??" -> null. Otherwise "." path segments and empty segments are
//     dropped: the guests are built with -fdebug-compilation-dir=., so llvm-symbolizer
//     joins comp_dir "." with the line table's directory "." (DWARF 5) and the name,
//     giving "././src/x.c"; crashlab says "src/x.c". ".." is kept as is.
//   * line, column: as given; 0 means unknown.
//   * Discriminator, StartAddress, StartFileName, StartLine: dropped.
//   * An address llvm-symbolizer knows nothing about comes back as one frame with
//     function, file, line all unknown; it is written as [] (DwarfInfo.lookup's "unknown").
//
// --functions=short: with the default (--functions=linkage) llvm-symbolizer replaces the
// outermost frame's function name with the ELF symbol table's name whenever it has one.
// For C (no DW_AT_linkage_name) that changes nothing except where DWARF has no
// subprogram: _start, from the crt .S file, would be named "_start" from .symtab. The
// oracle is for a DWARF-only reader, so names come from DWARF alone.
//
// Output is deterministic: re-running on the same ELFs and tools gives identical files.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, 'test/symbolize/expected');
const BUILD = path.join(ROOT, 'guests/build');
const ARCHES = ['aarch64', 'x86-64', 'rv32', 'rv64'];
const SKIP = new Set(['big.elf']);

function tool(envName, base) {
  if (process.env[envName]) return process.env[envName];
  const r = spawnSync(`${base}-14`, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? `${base}-14` : base;
}
const OBJDUMP = tool('LLVM_OBJDUMP', 'llvm-objdump');
const SYMBOLIZER = tool('LLVM_SYMBOLIZER', 'llvm-symbolizer');
const READELF = tool('LLVM_READELF', 'llvm-readelf');

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const version = run(SYMBOLIZER, ['--version']);
if (!/version 14\./.test(version)) {
  console.error(`warning: ${SYMBOLIZER} is not LLVM 14 (${version.trim().split('\n').find((l) => /version/.test(l))}); the committed oracle was made with 14.0.6`);
}

/** Instruction addresses of .text, ascending, as lowercase hex without padding. */
function textAddresses(elf) {
  const out = run(OBJDUMP, ['-d', '-j', '.text', '--no-show-raw-insn', elf]);
  const addrs = [];
  for (const line of out.split('\n')) {
    const m = /^\s+([0-9a-f]+):/.exec(line);
    if (m) addrs.push(BigInt('0x' + m[1]));
  }
  addrs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...new Set(addrs)].map((a) => '0x' + a.toString(16));
}

function hasDwarf(elf) {
  return /\]\s+\.debug_(info|line)\s/.test(run(READELF, ['-S', '-W', elf]));
}

function normalizePath(p) {
  if (p === '' || p === '??') return null;
  const abs = p.startsWith('/');
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  return (abs ? '/' : '') + parts.join('/');
}

function normalizeFrame(s) {
  return {
    function: s.FunctionName === '' || s.FunctionName === '??' ? null : s.FunctionName,
    file: normalizePath(s.FileName),
    line: s.Line,
    column: s.Column,
  };
}

const stats = { elfs: 0, addrs: 0, unknown: 0, noFunction: 0, col0: 0, line0: 0, discriminators: 0, inlined: 0, files: new Set() };

function symbolize(elf, addrs) {
  const out = run(SYMBOLIZER, [`--obj=${elf}`, '--inlines', '--functions=short', '--output-style=JSON'], addrs.join('\n') + '\n');
  const lines = out.split('\n').filter((l) => l !== '');
  if (lines.length !== addrs.length) throw new Error(`${elf}: ${addrs.length} addresses in, ${lines.length} answers out`);
  const result = [];
  lines.forEach((l, i) => {
    const j = JSON.parse(l);
    if (BigInt(j.Address) !== BigInt(addrs[i])) throw new Error(`${elf}: answer ${i} is for ${j.Address}, expected ${addrs[i]}`);
    let frames = j.Symbol.map(normalizeFrame);
    for (const s of j.Symbol) {
      if (s.Discriminator) stats.discriminators++;
      if (s.FileName) stats.files.add(s.FileName);
    }
    if (frames.length === 1 && frames[0].function === null && frames[0].file === null && frames[0].line === 0) {
      frames = [];
      stats.unknown++;
    }
    if (frames.length > 1) stats.inlined++;
    for (const f of frames) {
      if (f.function === null) stats.noFunction++;
      if (f.line === 0) stats.line0++;
      if (f.column === 0) stats.col0++;
    }
    result.push([addrs[i], frames]);
  });
  return result;
}

function write(file, entries) {
  mkdirSync(path.dirname(file), { recursive: true });
  const body = entries.map(([a, frames]) => `${JSON.stringify(a)}:${JSON.stringify(frames)}`).join(',\n');
  writeFileSync(file, `{\n${body}\n}\n`);
}

function elfsIn(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.elf') && !SKIP.has(f)).sort();
}

rmSync(OUT, { recursive: true, force: true });
for (const arch of ARCHES) {
  const jobs = [
    ...elfsIn(path.join(BUILD, arch)).map((f) => [`${arch}/${f}`, `${arch}/${f.replace(/\.elf$/, '.json')}`]),
    ...elfsIn(path.join(BUILD, arch, 'variants')).map((f) => [`${arch}/variants/${f}`, `${arch}/variants/${f.replace(/\.elf$/, '.json')}`]),
  ];
  if (jobs.length === 0) throw new Error(`no ELFs under guests/build/${arch}: run make -C guests first`);
  for (const [elfRel, outRel] of jobs) {
    const elf = path.join(BUILD, elfRel);
    if (!hasDwarf(elf)) {
      console.log(`skipped ${elfRel}: no DWARF`);
      continue;
    }
    const addrs = textAddresses(elf);
    if (addrs.length === 0) throw new Error(`${elfRel}: no instructions in .text`);
    write(path.join(OUT, outRel), symbolize(elf, addrs));
    stats.elfs++;
    stats.addrs += addrs.length;
  }
}
console.log(
  `${stats.elfs} ELFs, ${stats.addrs} addresses: ${stats.unknown} unknown ([]), ${stats.inlined} with inlined frames, ` +
    `${stats.noFunction} frames without a function, ${stats.line0} with line 0, ${stats.col0} with column 0, ` +
    `${stats.discriminators} with a non-zero discriminator`,
);
console.log(`file names as llvm-symbolizer printed them: ${[...stats.files].sort().join(' ')}`);
