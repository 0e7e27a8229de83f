// The Linux guest programs of guests/linux/build: their arches, paths and libc variants.

export const ARCHES = ['rv64', 'aarch64', 'x86-64'] as const;
export type LinuxArch = (typeof ARCHES)[number];
export const elf = (a: LinuxArch, p: string) => `guests/linux/build/${a}/${p}.elf`;
export const musl = (p: string, a: LinuxArch = 'x86-64') => `guests/linux/build/${a}/${p}-musl.elf`;

export interface Build {
  label: string;
  /** The ELF of program p in this build. */
  path: (p: string) => string;
  arch: LinuxArch;
  libc: 'glibc' | 'musl';
  /** Suffix of the file name ('' or '-musl'). */
  suffix: string;
}

/** Every variant of a program: the three glibc builds and the two musl builds (Debian 12 has no riscv64 musl). */
export const BUILDS: Build[] = [
  ...ARCHES.map((a) => ({ label: `${a} glibc`, path: (p: string) => elf(a, p), arch: a, libc: 'glibc' as const, suffix: '' })),
  ...(['x86-64', 'aarch64'] as const).map((a) => ({ label: `${a} musl`, path: (p: string) => musl(p, a), arch: a, libc: 'musl' as const, suffix: '-musl' })),
];
