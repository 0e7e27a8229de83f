#!/usr/bin/env node
// Generates src/emu/consts.ts from the Unicorn 2.1 C headers (Debian package libunicorn-dev).
//
//   scripts/fetch-unicorn.sh --headers /tmp/uc21 && node scripts/gen-unicorn-consts.mjs /tmp/uc21
//   node scripts/gen-unicorn-consts.mjs [include-dir] [output-file]
//
// Defaults: /usr/include/unicorn and src/emu/consts.ts (relative to the repository root).
// The headers must be 2.1 or later (Debian 12's own libunicorn-dev is 2.0.1, which lacks the
// TLB controls): 2.1 only appends to the enums 2.0.1 had (new registers at the end, new
// error, hook and control numbers), so the values crashlab uses are the same in both, and
// the engine checks at run time which 2.1 features the loaded library has.
// The output is committed, so the runtime never needs the headers. It is deterministic:
// header order is kept and nothing time- or host-dependent is written.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const includeDir = process.argv[2] ?? '/usr/include/unicorn';
const outFile = process.argv[3] ?? join(root, 'src/emu/consts.ts');

/** Header text with comments removed and backslash-continued lines joined. */
function readHeader(name) {
  return readFileSync(join(includeDir, name), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, '')
    .replace(/\\\r?\n/g, ' ');
}

/**
 * Evaluates the small integer expressions found in the headers: decimal/hex literals,
 * identifiers already defined, unary -/~, + - << >> | &, parentheses and (type) casts.
 */
function evaluate(expr, symbols) {
  const tokens = expr.match(/0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*|<<|>>|[-+|&~()]/g) ?? [];
  const rest = expr.replace(/0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*|<<|>>|[-+|&~()]|\s+/g, '');
  if (rest !== '') throw new Error(`cannot evaluate "${expr}"`);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const binary = [
    ['|'], ['&'], ['<<', '>>'], ['+', '-'],
  ];
  function parseLevel(level) {
    if (level === binary.length) return parseUnary();
    let value = parseLevel(level + 1);
    while (binary[level].includes(peek())) {
      const op = next();
      const rhs = parseLevel(level + 1);
      value = op === '|' ? value | rhs : op === '&' ? value & rhs : op === '<<' ? value << rhs
        : op === '>>' ? value >> rhs : op === '+' ? value + rhs : value - rhs;
    }
    return value;
  }
  function parseUnary() {
    const t = next();
    if (t === '-') return -parseUnary();
    if (t === '~') return ~parseUnary();
    if (t === '(') {
      // A cast such as (uc_control_type) is skipped.
      if (/^[A-Za-z_]\w*$/.test(peek()) && tokens[i + 1] === ')' && !symbols.has(peek())) {
        i += 2;
        return parseUnary();
      }
      const v = parseLevel(0);
      if (next() !== ')') throw new Error(`unbalanced "${expr}"`);
      return v;
    }
    if (t === undefined) throw new Error(`truncated "${expr}"`);
    if (/^\d|^0[xX]/.test(t)) return BigInt(t);
    if (symbols.has(t)) return symbols.get(t);
    throw new Error(`unknown identifier ${t} in "${expr}"`);
  }
  const v = parseLevel(0);
  if (i !== tokens.length) throw new Error(`trailing tokens in "${expr}"`);
  return v;
}

/** Global symbol table (name -> bigint) shared by enums and macros, in definition order. */
const symbols = new Map();

/** Parses `typedef enum <name> { ... }` from a header; returns [[NAME, value], ...]. */
function parseEnum(text, enumName) {
  const m = new RegExp(`typedef\\s+enum\\s+${enumName}\\s*\\{([\\s\\S]*?)\\}`).exec(text);
  if (!m) throw new Error(`enum ${enumName} not found`);
  const entries = [];
  let nextValue = 0n;
  for (const raw of m[1].split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const [, name, expr] = /^([A-Za-z_]\w*)\s*(?:=\s*([\s\S]+))?$/.exec(item) ?? [];
    if (!name) throw new Error(`bad enumerator "${item}" in ${enumName}`);
    const value = expr === undefined ? nextValue : evaluate(expr, symbols);
    symbols.set(name, value);
    entries.push([name, value]);
    nextValue = value + 1n;
  }
  return entries;
}

/** Parses object-like `#define NAME expr` macros whose name matches `pattern`. */
function parseDefines(text, pattern) {
  const entries = [];
  for (const m of text.matchAll(/^[ \t]*#define[ \t]+([A-Za-z_]\w*)(?![\w(])[ \t]*([^\n]*)$/gm)) {
    const [, name, expr] = m;
    if (!pattern.test(name) || expr.trim() === '') continue;
    const value = evaluate(expr, symbols);
    symbols.set(name, value);
    entries.push([name, value]);
  }
  return entries;
}

const unicornH = readHeader('unicorn.h');
const arm64H = readHeader('arm64.h');
const x86H = readHeader('x86.h');
const riscvH = readHeader('riscv.h');

const version = parseDefines(unicornH, /^UC_API_(MAJOR|MINOR|PATCH|EXTRA)$/);

/** [exported name, doc, source header, prefix to strip, entries] */
const tables = [
  ['UC_ARCH', 'uc_arch', 'unicorn.h', 'UC_ARCH_', parseEnum(unicornH, 'uc_arch')],
  ['UC_MODE', 'uc_mode (several names share a value)', 'unicorn.h', 'UC_MODE_', parseEnum(unicornH, 'uc_mode')],
  ['UC_ERR', 'uc_err', 'unicorn.h', 'UC_ERR_', parseEnum(unicornH, 'uc_err')],
  ['UC_MEM', 'uc_mem_type (the `type` argument of memory hooks)', 'unicorn.h', 'UC_MEM_', parseEnum(unicornH, 'uc_mem_type')],
  ['UC_HOOK', 'uc_hook_type, plus the UC_HOOK_MEM_* combination macros', 'unicorn.h', 'UC_HOOK_', [
    ...parseEnum(unicornH, 'uc_hook_type'),
    ...parseDefines(unicornH, /^UC_HOOK_MEM_/),
  ]],
  ['UC_QUERY', 'uc_query_type', 'unicorn.h', 'UC_QUERY_', parseEnum(unicornH, 'uc_query_type')],
  ['UC_CTL_IO', 'UC_CTL_IO_* (the R/W bits of a uc_ctl control value)', 'unicorn.h', 'UC_CTL_IO_',
    parseDefines(unicornH, /^UC_CTL_IO_/)],
  ['UC_CTL', 'uc_control_type (the Type field of a uc_ctl control value)', 'unicorn.h', 'UC_CTL_',
    parseEnum(unicornH, 'uc_control_type')],
  ['UC_PROT', 'uc_prot', 'unicorn.h', 'UC_PROT_', parseEnum(unicornH, 'uc_prot')],
  ['UC_TLB', 'uc_tlb_type (UC_CTL_TLB_TYPE; 2.1)', 'unicorn.h', 'UC_TLB_', parseEnum(unicornH, 'uc_tlb_type')],
  ['UC_CTL_CONTEXT', 'uc_context_content (UC_CTL_CONTEXT_MODE; 2.1)', 'unicorn.h', 'UC_CTL_CONTEXT_',
    parseEnum(unicornH, 'uc_context_content')],
  ['UC_CPU_ARM64', 'uc_cpu_arm64', 'arm64.h', 'UC_CPU_ARM64_', parseEnum(arm64H, 'uc_cpu_arm64')],
  ['ARM64_REG', 'uc_arm64_reg', 'arm64.h', 'UC_ARM64_REG_', parseEnum(arm64H, 'uc_arm64_reg')],
  ['ARM64_INS', 'uc_arm64_insn', 'arm64.h', 'UC_ARM64_INS_', parseEnum(arm64H, 'uc_arm64_insn')],
  ['UC_CPU_X86', 'uc_cpu_x86', 'x86.h', 'UC_CPU_X86_', parseEnum(x86H, 'uc_cpu_x86')],
  ['X86_REG', 'uc_x86_reg', 'x86.h', 'UC_X86_REG_', parseEnum(x86H, 'uc_x86_reg')],
  ['X86_INS', 'uc_x86_insn', 'x86.h', 'UC_X86_INS_', parseEnum(x86H, 'uc_x86_insn')],
  ['UC_CPU_RISCV32', 'uc_cpu_riscv32', 'riscv.h', 'UC_CPU_RISCV32_', parseEnum(riscvH, 'uc_cpu_riscv32')],
  ['UC_CPU_RISCV64', 'uc_cpu_riscv64', 'riscv.h', 'UC_CPU_RISCV64_', parseEnum(riscvH, 'uc_cpu_riscv64')],
  ['RISCV_REG', 'uc_riscv_reg', 'riscv.h', 'UC_RISCV_REG_', parseEnum(riscvH, 'uc_riscv_reg')],
];

function key(name, prefix) {
  if (!name.startsWith(prefix)) throw new Error(`${name} lacks prefix ${prefix}`);
  let k = name.slice(prefix.length);
  // UC_MODE_64 -> MODE_64: a key may not start with a digit.
  if (/^\d/.test(k)) k = `${prefix.replace(/_$/, '').split('_').pop()}_${k}`;
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`;
}

function literal(v) {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(`value ${v} does not fit a JS number`);
  }
  return v < 0n ? `-0x${(-v).toString(16)}` : v >= 0x10000n ? `0x${v.toString(16)}` : v.toString();
}

const versionText = version.filter(([n]) => n !== 'UC_API_EXTRA').map(([, v]) => v).join('.');
let out = `// GENERATED FILE, DO NOT EDIT.
// Generated by \`node scripts/gen-unicorn-consts.mjs\` from the Unicorn ${versionText} headers
// (/usr/include/unicorn/{unicorn,arm64,x86,riscv}.h, Debian package libunicorn-dev).
// Keys are the C names without their prefix (UC_ERR_MAP -> UC_ERR.MAP; UC_MODE_64 -> UC_MODE.MODE_64).

/** UC_API_MAJOR/MINOR/PATCH of the headers these tables were generated from. */
export const UC_HEADER_VERSION = '${versionText}';
`;
for (const [name, doc, header, prefix, entries] of tables) {
  out += `\n/** ${doc} (${header}) */\nexport const ${name} = {\n`;
  for (const [cname, value] of entries) out += `  ${key(cname, prefix)}: ${literal(value)},\n`;
  out += '} as const;\n';
}
writeFileSync(outFile, out);
console.log(`wrote ${outFile} (${tables.reduce((n, t) => n + t[4].length, 0)} constants)`);
