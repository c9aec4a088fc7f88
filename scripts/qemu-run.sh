#!/bin/bash
# Boot build/os.iso in QEMU with the serial console on this terminal (what `make run` does).
#
#   scripts/qemu-run.sh [QEMU ARGS...]
#
# Ctrl-A X quits QEMU, Ctrl-A C switches to its monitor. Extra arguments go to QEMU as
# they are. Environment: QEMU (default qemu-system-i386), QEMU_MEM in MB (default 64),
# ISO (default build/os.iso). A VGA window opens only when DISPLAY is set.
#
# Exit status: the kernel's power-off status (QEMU's isa-debug-exit exits with
# status * 2 + 1), 0 when QEMU was quit by hand, QEMU's own status otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

qemu=${QEMU:-qemu-system-i386}
iso=${ISO:-build/os.iso}
mem=${QEMU_MEM:-64}

if [ ! -f "$iso" ]; then
    echo "$0: $iso is missing; run make first" >&2
    exit 1
fi

display=(-display none)
if [ -n "${DISPLAY:-}" ]; then
    display=()
fi

# Disks on the IDE bus. The CD-ROM from -cdrom is the secondary master (hdc), so the
# primary channel is free: build/swap.img (made by the project's mkswap) is the first
# disk, /dev/hda, and init turns swap on there.
disks=()
if [ -f build/swap.img ]; then
    disks=(-drive file=build/swap.img,format=raw,if=ide,index=0)
fi

status=0
"$qemu" -m "$mem" \
    -cdrom "$iso" -boot d \
    "${disks[@]}" \
    -serial mon:stdio \
    "${display[@]}" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -no-reboot \
    "$@" || status=$?

if [ $((status & 1)) -eq 1 ]; then
    exit $((status >> 1))
fi
exit "$status"
