// /proc/cpuinfo for the CPU the engine emulates: one processor (sched_getaffinity and
// sysinfo say one too), described with the identification registers the guest itself
// reads from Unicorn's CPU model, formatted as each arch's Linux 6.1 show_cpuinfo prints it.
//
// Measured with small guests that read the registers under crashlab (cpuid on x86-64,
// MIDR_EL1 on aarch64, misa/mvendorid/marchid/mimpid on RISC-V):
// - x86-64: Unicorn 2.0.1 emulates QEMU's qemu64 model (AuthenticAMD, family 6 model 6
//   stepping 3), 2.1 a Haswell (GenuineIntel, family 6 model 60 stepping 4); the flags are
//   the CPUID feature bits each reports, by the kernel's names (cpufeatures.h), in its
//   word order.
// - aarch64: a Cortex-A72 (MIDR_EL1 0x410fd083) on both; Features from AT_HWCAP.
// - RISC-V: misa says rv64imafdc (+s, u), vendor/arch/impl ids 0, on both.

import type { Arch } from '../../arch/index.js';

interface X86Model {
  vendor: string;
  family: number;
  model: number;
  stepping: number;
  name: string;
  level: number;
  /** CPUID feature words: 1.EDX, 0x80000001.EDX, 1.ECX, 0x80000001.ECX, 7.EBX. */
  words: [number, number, number, number, number];
}

const X86_MODELS: Record<'2.0' | '2.1', X86Model> = {
  '2.0': { vendor: 'AuthenticAMD', family: 6, model: 6, stepping: 3, name: 'QEMU Virtual CPU version 2.5+', level: 13, words: [0x07088100, 0xa8000000, 0x02182200, 0x00001031, 0x00180108] },
  '2.1': { vendor: 'GenuineIntel', family: 6, model: 60, stepping: 4, name: 'Intel Core Processor (Haswell)', level: 13, words: [0x078bfbfd, 0x28100800, 0xced82203, 0x00000021, 0x00000389] },
};

/** Linux's names for the bits of each CPUID word above (arch/x86/include/asm/cpufeatures.h); '' is not shown. */
const X86_FLAG_NAMES: string[][] = [
  ['fpu', 'vme', 'de', 'pse', 'tsc', 'msr', 'pae', 'mce', 'cx8', 'apic', '', 'sep', 'mtrr', 'pge', 'mca', 'cmov', 'pat', 'pse36', 'pn', 'clflush', '', 'dts', 'acpi', 'mmx', 'fxsr', 'sse', 'sse2', 'ss', 'ht', 'tm', 'ia64', 'pbe'],
  ['', '', '', '', '', '', '', '', '', '', '', 'syscall', '', '', '', '', '', '', '', 'mp', 'nx', '', 'mmxext', '', '', 'fxsr_opt', 'pdpe1gb', 'rdtscp', '', 'lm', '3dnowext', '3dnow'],
  ['pni', 'pclmulqdq', 'dtes64', 'monitor', 'ds_cpl', 'vmx', 'smx', 'est', 'tm2', 'ssse3', 'cid', 'sdbg', 'fma', 'cx16', 'xtpr', 'pdcm', '', 'pcid', 'dca', 'sse4_1', 'sse4_2', 'x2apic', 'movbe', 'popcnt', 'tsc_deadline_timer', 'aes', 'xsave', '', 'avx', 'f16c', 'rdrand', 'hypervisor'],
  ['lahf_lm', 'cmp_legacy', 'svm', 'extapic', 'cr8_legacy', 'abm', 'sse4a', 'misalignsse', '3dnowprefetch', 'osvw', 'ibs', 'xop', 'skinit', 'wdt', '', 'lwp', 'fma4', 'tce', '', 'nodeid_msr', '', 'tbm', 'topoext', 'perfctr_core', 'perfctr_nb', '', 'bpext', 'ptsc', 'perfctr_llc', 'mwaitx', '', ''],
  ['fsgsbase', 'tsc_adjust', 'sgx', 'bmi1', 'hle', 'avx2', '', 'smep', 'bmi2', 'erms', 'invpcid', 'rtm', 'cqm', '', 'mpx', 'rdt_a', 'avx512f', 'avx512dq', 'rdseed', 'adx', 'smap', 'avx512ifma', '', 'clflushopt', 'clwb', 'intel_pt', 'avx512pf', 'avx512er', 'avx512cd', 'sha_ni', 'avx512bw', 'avx512vl'],
];

function x86(m: X86Model): string {
  const flags = m.words.flatMap((w, i) => X86_FLAG_NAMES[i]!.filter((n, bit) => n !== '' && (w >>> bit) & 1));
  const has = (name: string) => flags.includes(name);
  return [
    'processor\t: 0',
    `vendor_id\t: ${m.vendor}`,
    `cpu family\t: ${m.family}`,
    `model\t\t: ${m.model}`,
    `model name\t: ${m.name}`,
    `stepping\t: ${m.stepping}`,
    ...(has('tsc') ? ['cpu MHz\t\t: 1000.000'] : []),
    'physical id\t: 0',
    'siblings\t: 1',
    'core id\t\t: 0',
    'cpu cores\t: 1',
    'apicid\t\t: 0',
    'initial apicid\t: 0',
    `fpu\t\t: ${has('fpu') ? 'yes' : 'no'}`,
    `fpu_exception\t: ${has('fpu') ? 'yes' : 'no'}`,
    `cpuid level\t: ${m.level}`,
    'wp\t\t: yes',
    `flags\t\t: ${flags.join(' ')}`,
    'bugs\t\t:',
    'bogomips\t: 2000.00',
    'clflush size\t: 64',
    'cache_alignment\t: 64',
    'address sizes\t: 40 bits physical, 48 bits virtual',
    'power management:',
    '',
    '',
  ].join('\n');
}

/** AT_HWCAP bit names (arch/arm64/kernel/cpuinfo.c hwcap_str), bit 0 first. */
const ARM64_HWCAPS = ['fp', 'asimd', 'evtstrm', 'aes', 'pmull', 'sha1', 'sha2', 'crc32', 'atomics', 'fphp', 'asimdhp', 'cpuid', 'asimdrdm', 'jscvt', 'fcma', 'lrcpc', 'dcpop', 'sha3', 'sm3', 'sm4', 'asimddp', 'sha512', 'sve', 'asimdfhm', 'dit', 'uscat', 'ilrcpc', 'flagm', 'ssbs', 'sb', 'paca', 'pacg'];

function aarch64(hwcap: bigint): string {
  const features = ARM64_HWCAPS.filter((_, bit) => (hwcap >> BigInt(bit)) & 1n);
  // MIDR_EL1 0x410fd083: ARM, architecture 0xf (by CPUID registers: "8"), part 0xd08 (Cortex-A72), r0p3.
  return ['processor\t: 0', 'BogoMIPS\t: 100.00', `Features\t: ${features.join(' ')}`, 'CPU implementer\t: 0x41', 'CPU architecture: 8', 'CPU variant\t: 0x0', 'CPU part\t: 0xd08', 'CPU revision\t: 3', '', ''].join('\n');
}

function riscv(bits: 32 | 64, hwcap: bigint): string {
  const isa = `rv${bits}` + [...'imafdc'].filter((c) => (hwcap >> BigInt(c.charCodeAt(0) - 97)) & 1n).join('');
  return ['processor\t: 0', 'hart\t\t: 0', `isa\t\t: ${isa}`, `mmu\t\t: ${bits === 64 ? 'sv39' : 'sv32'}`, 'mvendorid\t: 0x0', 'marchid\t\t: 0x0', 'mimpid\t\t: 0x0', '', ''].join('\n');
}

/** /proc/cpuinfo's text for the arch, on the engine of this version ("2.0.1", "2.1.4"). */
export function cpuinfo(arch: Arch, engineVersion: string): string {
  if (arch.name === 'x86-64') return x86(X86_MODELS[engineVersion.startsWith('2.0') ? '2.0' : '2.1']);
  if (arch.name === 'aarch64') return aarch64(arch.linux.hwcap);
  return riscv(arch.elf.bits, arch.linux.hwcap);
}
