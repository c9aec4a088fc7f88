#!/bin/bash
# Install the Debian 12 packages needed to build, run and test the kernel.
#
#   scripts/setup.sh [--quiet]
#
# Safe to run again: it only installs what is missing. As root it installs with apt-get;
# otherwise it prints the apt-get line to run and fails. --quiet says nothing when
# everything is already there.
set -euo pipefail

packages=(
    g++-i686-linux-gnu binutils-i686-linux-gnu     # the cross toolchain for kernel and user programs
    grub-pc-bin grub-common xorriso mtools         # grub-mkrescue and the BIOS GRUB it puts on the ISO
    qemu-system-x86                                # qemu-system-i386
    bochs bochsbios vgabios bochs-term             # Bochs, its BIOS images and its text-mode display
    gdb cpio
    libgtest-dev g++ make python3                  # host unit tests, the build, the scripts
    util-linux                                     # blkid and mkswap, to check our swap areas
    fdisk                                          # sfdisk, for the partitioned test disk
    tmux python3-pil                               # make debug's two panes; make memmap's picture
)

quiet=no
for arg in "$@"; do
    case "$arg" in
    --quiet) quiet=yes ;;
    *) echo "usage: $0 [--quiet]" >&2; exit 2 ;;
    esac
done

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in "${packages[@]}"; do
    installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    [ "$quiet" = yes ] || echo "setup: all ${#packages[@]} packages are installed"
    exit 0
fi

echo "setup: missing packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: not root; install them with:"
    echo "sudo apt-get install -y ${missing[*]}"
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}" </dev/null

# Check again: apt-get can succeed without installing a package it could not find.
still=()
for p in "${missing[@]}"; do
    installed "$p" || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
    echo "setup: still missing after apt-get: ${still[*]}" >&2
    exit 1
fi
echo "setup: installed ${missing[*]}"
