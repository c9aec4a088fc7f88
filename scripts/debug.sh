#!/bin/bash
# The kernel in QEMU, stopped at its first instruction, with gdb attached (`make debug`).
#
#   scripts/debug.sh            tmux: QEMU's serial console in the left pane, gdb in the right
#   scripts/debug.sh --qemu     QEMU alone, the serial console on this terminal (Ctrl-A X quits)
#   scripts/debug.sh --gdb      gdb alone, attached to the QEMU of --qemu
#
# Without tmux (or with DEBUG_PLAIN=1), it prints the two-terminal recipe (--qemu in one,
# --gdb in the other) and runs gdb here with the console in build/debug-serial.log.
#
# QEMU loads build/kernel.elf and build/initrd-tests.cpio itself (no GRUB, so breakpoints in
# the kernel are reached at once) with the kernel command line $CMDLINE (make debug
# CMDLINE=selftest=timer.*), $QEMU_MEM MB of RAM (default 64; make debug MEM=16 swaps soon)
# and build/swap.img, when there is one, as /dev/hda. scripts/gdbinit connects to port 1234,
# loads the symbols and the helpers of scripts/gdb/ (k-ps, k-pte, ...: docs/tour.md).
set -euo pipefail
cd "$(dirname "$0")/.."

qemu=${QEMU:-qemu-system-i386}
port=1234
session=ferrite-debug-$$

qemu_args() {
    local disks=()
    if [ -f build/swap.img ]; then
        disks=(-drive file=build/swap.img,format=raw,if=ide,index=0)
    fi
    echo -s -S -m "${QEMU_MEM:-64}" -kernel build/kernel.elf -initrd build/initrd-tests.cpio \
        "${disks[@]}" -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot
    # A VGA window when there is a display to put it on.
    [ -n "${DISPLAY:-}" ] || echo -display none
}

# gdb must not connect before the stub listens. Look for the listening socket rather
# than connect to it: a probe connection would be the stub's one client.
listening() {
    local hex
    hex=$(printf '%04X' "$port")
    awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

wait_for_stub() {
    for _ in $(seq 100); do
        listening && return 0
        sleep 0.1
    done
    echo "$0: nothing listens on port $port (is QEMU running? is the port taken?)" >&2
    return 1
}

recipe() {
    cat <<EOF
Two terminals, from $(pwd):
  1:  scripts/debug.sh --qemu      # QEMU stopped at the first instruction; its serial console
  2:  scripts/debug.sh --gdb       # gdb with symbols and the k-* helpers; 'continue' boots
EOF
}

case "${1:-}" in
--qemu)
    # shellcheck disable=SC2046  # qemu_args prints words meant to be split
    exec "$qemu" $(qemu_args) -append "${CMDLINE:-}" -serial mon:stdio
    ;;
--gdb)
    wait_for_stub
    exec gdb -q -x scripts/gdbinit
    ;;
"") ;;
*)
    echo "usage: $0 [--qemu | --gdb]" >&2
    exit 2
    ;;
esac

if command -v tmux >/dev/null && [ -t 0 ] && [ -z "${DEBUG_PLAIN:-}" ] && [ -z "${TMUX:-}" ]; then
    # Quitting gdb ends the session, and QEMU with it.
    tmux new-session -d -s "$session" -x "$(tput cols 2>/dev/null || echo 200)" \
        -y "$(tput lines 2>/dev/null || echo 50)" -e "CMDLINE=${CMDLINE:-}" \
        -e "QEMU_MEM=${QEMU_MEM:-64}" -e "QEMU=$qemu" scripts/debug.sh --qemu
    tmux split-window -h -t "$session" "scripts/debug.sh --gdb; tmux kill-session -t $session"
    exec tmux attach -t "$session"
fi

recipe
echo "Here: gdb on this terminal, the console in build/debug-serial.log (tail -f it)."
serial=build/debug-serial.log
# In a session of its own, so that Ctrl-C in gdb interrupts the kernel (through the stub)
# instead of ending QEMU. setsid runs it without a fork here: $! is QEMU itself.
# shellcheck disable=SC2046
setsid "$qemu" $(qemu_args) -append "${CMDLINE:-}" -serial "file:$serial" &
qemu_pid=$!

cleanup() {
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
}
trap cleanup EXIT

if ! wait_for_stub || ! kill -0 "$qemu_pid" 2>/dev/null; then
    echo "$0: QEMU did not start" >&2
    exit 1
fi
gdb -q -x scripts/gdbinit
