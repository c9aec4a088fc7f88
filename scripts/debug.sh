#!/bin/bash
# Start the kernel in QEMU stopped at the first instruction and attach gdb (`make debug`).
#
# QEMU loads build/kernel.elf and build/initrd-tests.cpio itself (no GRUB, so breakpoints in the
# kernel are reached at once) with the kernel command line from $CMDLINE, e.g.
#   make debug CMDLINE=selftest=timer.*
# The serial console goes to build/debug-serial.log (`tail -f` it in another terminal).
# scripts/gdbinit connects to port 1234 and defines the helpers: jiffies, ktests,
# ktest-current. Quitting gdb stops QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."

qemu=${QEMU:-qemu-system-i386}
serial=build/debug-serial.log
port=1234

display=(-display none)
if [ -n "${DISPLAY:-}" ]; then
    display=()
fi

# In a session of its own, so that Ctrl-C in gdb interrupts the kernel (through the stub)
# instead of ending QEMU. setsid runs it without a fork here: $! is QEMU itself.
setsid "$qemu" -s -S -m "${QEMU_MEM:-64}" \
    -kernel build/kernel.elf -initrd build/initrd-tests.cpio -append "${CMDLINE:-}" \
    -serial "file:$serial" "${display[@]}" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot &
qemu_pid=$!

cleanup() {
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
}
trap cleanup EXIT

# gdb must not connect before the stub listens. Look for the listening socket rather
# than connect to it: a probe connection would be the stub's one client.
listening() {
    local hex
    hex=$(printf '%04X' "$port")
    awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
for _ in $(seq 100); do
    listening && break
    if ! kill -0 "$qemu_pid" 2>/dev/null; then
        echo "$0: QEMU did not start (is port $port in use?)" >&2
        exit 1
    fi
    sleep 0.1
done

echo "Serial console: $serial"
gdb -q -x scripts/gdbinit
