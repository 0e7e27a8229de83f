#!/usr/bin/env bash
# make-oracle.sh: build an independent oracle for crashlab's crash reports
# from gdb-multiarch attached to qemu-user's gdbstub.
#
# Usage (from anywhere; paths are resolved against the repo root):
#   test/oracle/make-oracle.sh
#
# Needs: qemu-aarch64, qemu-x86_64, qemu-riscv32, qemu-riscv64 (qemu-user, with
# `-g PORT`), gdb-multiarch, timeout and ss (iproute2), and node (to turn the raw
# gdb transcripts into JSON). The guest ELFs must already be built
# (guests/build/<arch>/<name>.elf, see guests/README.md).
#
# For every arch in {aarch64, x86-64, rv32, rv64} and every guest in
#   null-write null-read rodata-write null-fnptr trap breakpoint illegal
#   deep-chain leaf-norecord divzero recursion exec-data stack-smash
# (divzero only on x86-64, the one arch where it faults), one at a time:
#   1. start `env -i qemu-<arch> -g PORT guests/build/<arch>/<guest>.elf` from
#      the repo root on a free TCP port (bounded by `timeout`); empty
#      environment, like crashlab's default, see run_case;
#   2. run `gdb-multiarch -batch -nx` on the same ELF with `set architecture`,
#      `target remote :PORT`, `continue`, then print $pc, the instruction at the
#      stop, and `bt` (`bt 5` for recursion, whose full trace is ~10^5 frames).
#      `set print frame-info location-and-address` makes gdb print the pc of
#      every frame, #0 included. gdb unwinds with the ELF's DWARF CFI, so it is
#      an unwinder independent of crashlab's;
#   3. kill gdb's inferior and then qemu (by its pid), and wait for it.
# The whole gdb transcript is kept as test/oracle/raw/<arch>/<guest>.txt.
#
# Finally the transcripts are parsed into test/oracle/gdb-frames.json:
#   { "<arch>/<guest>": {
#       "signal": "SIGSEGV",        # from "Program received signal ..."
#       "pc":     "0x...",          # raw $pc gdb reports at the stop
#       "trapPc": "0x...",          # address of the trapping instruction:
#                                   #   = pc, except x86-64 SIGTRAP from int3,
#                                   #   where gdb's pc is after the 1-byte int3,
#                                   #   so trapPc = pc - 1 (the script checks
#                                   #   that the byte at pc-1 is 0xcc)
#       "frames": [ {"pc": "0x...", "function": "bt_leaf"}, ... ] } }
# frames follow gdb's `bt` exactly: #0 has the stop pc (same as "pc"), frames
# #1.. have the return address gdb prints ("#1 0x... in bt_mid ()"). The list
# ends at main (gdb's default `backtrace past-main off`). A function gdb cannot
# name is recorded as "??", exactly as gdb prints it.
# For recursion only the signal, pc/trapPc and the first 5 frames are kept
# (with "truncated": true).
# Keys are emitted in a fixed order (arches and guests in the order above), so
# re-running on the same ELFs and tools gives a byte-identical file.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RAW="${ORACLE_RAW:-$HERE/raw}"
OUT="${ORACLE_OUT:-$HERE/gdb-frames.json}"
# The Linux programs' oracle is made by the same script:
#   ORACLE_BUILD=guests/linux/build ORACLE_ARCHES="aarch64 x86-64 rv64" \
#   ORACLE_GUESTS="crash abort assert raise" ORACLE_OUT=test/oracle/gdb-linux-frames.json \
#   ORACLE_RAW=test/oracle/raw-linux test/oracle/make-oracle.sh
# There gdb may stop before main inside libc (a frame with no CFI it cannot unwind by its
# prologue either): such a case is kept with "endsEarly": true.
BUILD="${ORACLE_BUILD:-guests/build}"

read -r -a ARCHES <<<"${ORACLE_ARCHES:-aarch64 x86-64 rv32 rv64}"
read -r -a GUESTS <<<"${ORACLE_GUESTS:-null-write null-read rodata-write null-fnptr trap breakpoint illegal deep-chain leaf-norecord divzero recursion exec-data stack-smash heap-overflow dangling-write callback-trap recursion-300 inline-chain}"

qemu_for() {
  case "$1" in
    aarch64) echo qemu-aarch64 ;;
    x86-64) echo qemu-x86_64 ;;
    rv32) echo qemu-riscv32 ;;
    rv64) echo qemu-riscv64 ;;
  esac
}
gdbarch_for() {
  case "$1" in
    aarch64) echo aarch64 ;;
    x86-64) echo i386:x86-64 ;;
    rv32) echo riscv:rv32 ;;
    rv64) echo riscv:rv64 ;;
  esac
}

port_in_use() { ss -Htln "sport = :$1" | grep -q .; }

# A free port: random in 20000..59999, not currently listening.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if ! port_in_use "$p"; then echo "$p"; return 0; fi
  done
  echo "make-oracle: no free port found" >&2
  return 1
}

run_case() {
  local arch="$1" guest="$2"
  local elf="$ROOT/$BUILD/$arch/$guest.elf"
  local out="$RAW/$arch/$guest.txt"
  [[ -f "$elf" ]] || { echo "make-oracle: missing $elf" >&2; return 1; }
  mkdir -p "$RAW/$arch"

  local bt_cmd=bt
  [[ "$guest" == recursion || "$guest" == recursion-300 ]] && bt_cmd="bt 5"

  local port qpid
  port="$(free_port)"
  # qemu waits for gdb before running the first instruction. It is started
  # from the repo root with a relative path and an EMPTY environment (env -i),
  # as crashlab runs guests by default (argv[0] = the path given, no --env).
  # The environment matters: its strings sit at the top of the guest stack, so
  # they shift every stack address. For recursion that decides which
  # instruction of `recurse` is the first to touch the guard page (seen on
  # x86-64: 0x201258 with a typical shell environment, 0x20125e with none, and
  # 0x20128b with a 3 KB one). Without env -i the oracle would depend on
  # whoever runs this script.
  local qemu
  qemu="$(command -v "$(qemu_for "$arch")")"
  (cd "$ROOT" && exec timeout 60 env -i "$qemu" -g "$port" "$BUILD/$arch/$guest.elf") \
    >/dev/null 2>&1 &
  qpid=$!
  # Wait until the gdbstub listens (polling with ss, not by connecting: a
  # probe connection would be taken as the debugger session).
  for _ in $(seq 1 100); do
    port_in_use "$port" && break
    sleep 0.05
  done

  local rc=0
  (cd "$ROOT" && timeout 60 gdb-multiarch -batch -nx \
    -ex 'set pagination off' \
    -ex 'set confirm off' \
    -ex 'set width 0' \
    -ex 'set height 0' \
    -ex "set architecture $(gdbarch_for "$arch")" \
    -ex 'set print frame-info location-and-address' \
    -ex "target remote 127.0.0.1:$port" \
    -ex 'continue' \
    -ex 'echo === pc\n' \
    -ex 'p/x $pc' \
    -ex 'echo === insn\n' \
    -ex 'x/2i $pc' \
    -ex 'echo === byte-before-pc\n' \
    -ex 'x/1xb $pc-1' \
    -ex "echo === $bt_cmd\\n" \
    -ex "$bt_cmd" \
    -ex 'echo === end\n' \
    -ex 'kill' \
    "$BUILD/$arch/$guest.elf") >"$out" 2>&1 || rc=$?

  kill "$qpid" 2>/dev/null || true
  wait "$qpid" 2>/dev/null || true
  # gdb's transcript must not contain host-specific lines that change from run
  # to run (the port): drop the remote-connect chatter.
  sed -i -e "s/127\.0\.0\.1:$port/127.0.0.1:PORT/g" "$out"
  if [[ $rc -ne 0 ]]; then
    echo "make-oracle: gdb exited $rc for $arch/$guest (see $out)" >&2
    return 1
  fi
  echo "  $arch/$guest"
}

rm -rf "$RAW"
mkdir -p "$RAW"
echo "make-oracle: running gdb-multiarch against qemu-user"
for arch in "${ARCHES[@]}"; do
  for guest in "${GUESTS[@]}"; do
    if [[ "$guest" == divzero && "$arch" != x86-64 ]]; then continue; fi
    run_case "$arch" "$guest"
  done
done

# ---- parse the transcripts into gdb-frames.json --------------------------
ARCHES_LIST="${ARCHES[*]}" GUESTS_LIST="${GUESTS[*]}" RAW="$RAW" OUT="$OUT" node --input-type=module -e '
import fs from "node:fs";
const arches = process.env.ARCHES_LIST.split(" ");
const guests = process.env.GUESTS_LIST.split(" ");
const hex = (s) => "0x" + BigInt(s).toString(16);
const result = {};
for (const arch of arches) {
  for (const guest of guests) {
    if (guest === "divzero" && arch !== "x86-64") continue;
    const file = `${process.env.RAW}/${arch}/${guest}.txt`;
    const text = fs.readFileSync(file, "utf8");
    const fail = (m) => { throw new Error(`${file}: ${m}`); };
    const sig = /^Program received signal (SIG[A-Z0-9]+),/m.exec(text);
    if (!sig) fail("no \"Program received signal\" line");
    const section = (name) => {
      const m = new RegExp(`^=== ${name}\\n([\\s\\S]*?)^=== `, "m").exec(text);
      if (!m) fail(`no section ${name}`);
      return m[1];
    };
    const pcm = /^\$\d+ = (0x[0-9a-f]+)$/m.exec(section("pc"));
    if (!pcm) fail("no $pc value");
    const pc = BigInt(pcm[1]);
    const truncated = guest === "recursion" || guest === "recursion-300";
    const btText = section(truncated ? "bt 5" : "bt");
    const frames = [];
    for (const line of btText.split("\n")) {
      if (!line.startsWith("#")) continue;
      // "#1  0x0000000000201239 in bp_outer () at ./src/breakpoint.c:12"
      const m = /^#(\d+)\s+(0x[0-9a-f]+) in (\S+) \(/.exec(line);
      if (!m) fail(`unparsed frame line: ${line}`);
      if (Number(m[1]) !== frames.length) fail(`frame numbering: ${line}`);
      const frame = { pc: hex(m[2]), function: m[3] };
      // "... at ./src/null-write.c:7": gdb joins comp_dir "." with the file name.
      const at = / at (\S+):(\d+)$/.exec(line);
      if (at) {
        frame.file = at[1].replace(/^(\.\/)+/, "");
        frame.line = Number(at[2]);
      }
      frames.push(frame);
    }
    if (frames.length === 0) fail("no frames");
    if (BigInt(frames[0].pc) !== pc) fail("frame #0 pc differs from $pc");
    // stack-smash corrupts its own frame record: gdb must say its backtrace stopped.
    const stopped = /^Backtrace stopped: /m.test(btText);
    if (guest === "stack-smash" && !stopped) fail("expected gdb to stop the backtrace early");
    const endsEarly = !truncated && !stopped && frames[frames.length - 1].function !== "main";
    if (endsEarly && !process.env.OUT.includes("linux")) fail("backtrace does not end at main");
    if (truncated && frames.length !== 5) fail("expected 5 frames");
    // x86-64 int3 reports the pc after the 1-byte instruction; every other
    // stop (faults, ud2, brk, ebreak, unimp) reports the instruction itself.
    let trapPc = pc;
    if (arch === "x86-64" && sig[1] === "SIGTRAP") {
      // check that the byte before pc really is int3 (0xcc)
      if (!/:\s+0xcc\s*$/m.test(section("byte-before-pc"))) fail("x86-64 SIGTRAP without int3 (0xcc) before pc");
      trapPc = pc - 1n;
    }
    const entry = { signal: sig[1], pc: hex(pc), trapPc: hex(trapPc) };
    if (truncated) entry.truncated = true;
    if (stopped) entry.stopped = true;
    if (endsEarly) entry.endsEarly = true;
    entry.frames = frames;
    result[`${arch}/${guest}`] = entry;
  }
}
fs.writeFileSync(process.env.OUT, JSON.stringify(result, null, 2) + "\n");
console.log(`make-oracle: wrote ${Object.keys(result).length} cases to ${process.env.OUT}`);
'
