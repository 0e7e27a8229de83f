#!/usr/bin/env bash
# make-qemu-fs.sh: what qemu-user prints for the file-system guests (guests/linux/src
# scratch.c, mapfile.c, devproc.c), kept as test/oracle/qemu-fs/<arch>/<program>.txt:
# the program's stdout, then a line "exit N". test/linux/fs-programs.test.ts compares
# crashlab's output with these.
#
# Usage (from anywhere): test/oracle/make-qemu-fs.sh
# Needs qemu-user (qemu-riscv64, qemu-aarch64, qemu-x86_64) and setsid (util-linux).
#
# Each program runs with an empty environment, stdin from /dev/null and no controlling
# terminal (setsid), as the tests run crashlab; scratch and mapfile get a fresh scratch
# directory as argv[1] (they print only names relative to it) that is removed afterwards;
# devproc gets the argument "one". Programs run from the repository root with the same
# argv[0] the tests give crashlab.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=test/oracle/qemu-fs
declare -A QEMU=([rv64]=qemu-riscv64 [aarch64]=qemu-aarch64 [x86-64]=qemu-x86_64)
for arch in rv64 aarch64 x86-64; do
  mkdir -p "$out/$arch"
  for prog in scratch mapfile devproc; do
    for variant in "" -musl; do
      elf="guests/linux/build/$arch/$prog$variant.elf"
      [ -f "$elf" ] || continue
      scratch=$(mktemp -d)
      arg="$scratch"
      [ "$prog" = devproc ] && arg=one
      set +e
      text=$(setsid env -i "${QEMU[$arch]}" "$elf" "$arg" </dev/null 2>/dev/null)
      status=$?
      set -e
      rm -rf "$scratch"
      printf '%s\nexit %d\n' "$text" "$status" > "$out/$arch/$prog$variant.txt"
      echo "$arch $prog$variant: exit $status"
    done
  done
done
