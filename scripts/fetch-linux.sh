#!/bin/bash
# Fetch Debian's i386 Linux kernel (the package linux-image-686 points at) for `make bench`.
#
#   scripts/fetch-linux.sh [DIR]        (DIR defaults to build/linux)
#
# Leaves in DIR: vmlinuz, modules/ with the modules that find an IDE disk on QEMU's PC
# (ata_piix and sd_mod with everything modules.dep says they need) and modules.list, their
# paths inside the initrd in loading order. Safe to run again: it does nothing once
# DIR/modules.list is there. Not as root, it prints what root must run first (adding
# the i386 architecture, apt-get update, installing kmod), if anything.
set -euo pipefail

dir=${1:-build/linux}
wanted=(kernel/drivers/ata/ata_piix.ko kernel/drivers/scsi/sd_mod.ko)

[ -s "$dir/modules.list" ] && [ -s "$dir/vmlinuz" ] && exit 0

# depmod is in /sbin, which a user's PATH may lack.
have_depmod() { command -v depmod >/dev/null || [ -x /sbin/depmod ]; }

# What needs root is done here as root; otherwise it is printed, for root to do first.
root=$([ "$(id -u)" -eq 0 ] && echo yes || echo no)
for_root=()

if ! dpkg --print-foreign-architectures | grep -qx i386; then
    if [ $root = yes ]; then dpkg --add-architecture i386; else for_root+=("dpkg --add-architecture i386"); fi
fi

# linux-image-686 is a metapackage: the kernel is in the one it depends on.
image_package() {
    apt-cache depends linux-image-686:i386 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
package=$(image_package)
if [ -z "$package" ] || ! have_depmod; then
    # An index that failed to download (a mirror in sync) leaves the others usable.
    if [ $root = yes ]; then apt-get update || true; else for_root+=("apt-get update"); fi
    package=$(image_package)
fi
# depmod, to make modules.dep.
if ! have_depmod; then
    if [ $root = yes ]; then apt-get install -y --no-install-recommends kmod </dev/null
    else for_root+=("apt-get install -y kmod"); fi
fi
if [ ${#for_root[@]} -ne 0 ]; then
    echo "fetch-linux: not root; run these, then make bench again:"
    printf 'sudo %s\n' "${for_root[@]}"
    exit 1
fi
[ -n "$package" ] || { echo "fetch-linux: apt knows no linux-image-686:i386" >&2; exit 1; }

rm -rf "$dir" && mkdir -p "$dir/deb"
# apt's download user cannot write into a root-owned build tree: fetch in a directory it can.
(cd "$dir/deb" && chmod 777 . && apt-get download "$package")
chmod 755 "$dir/deb"
dpkg-deb -x "$dir"/deb/*.deb "$dir/root"

release=$(ls "$dir/root/lib/modules")
# The package has no modules.dep (its postinst makes one): make it as the installed
# system would.
"$(command -v depmod || echo /sbin/depmod)" -b "$dir/root" "$release"
moddir="$dir/root/lib/modules/$release"
cp "$dir/root/boot/vmlinuz-$release" "$dir/vmlinuz"

# modules.dep lists for each module everything it needs, the modules needed last; so each
# wanted module's line, read backwards, is a loading order.
mkdir -p "$dir/modules"
: > "$dir/modules.list.new"
for module in "${wanted[@]}"; do
    line=$(grep "^$module:" "$moddir/modules.dep") || { echo "fetch-linux: $module not in modules.dep" >&2; exit 1; }
    for m in $(echo "${line#*:}" | tr ' ' '\n' | tac) "$module"; do
        name=/lib/modules/$(basename "$m")
        grep -qx "$name" "$dir/modules.list.new" && continue
        cp "$moddir/$m" "$dir/modules/"
        echo "$name" >> "$dir/modules.list.new"
    done
done
mv "$dir/modules.list.new" "$dir/modules.list"
rm -rf "$dir/root" "$dir/deb"
echo "fetch-linux: $package ($release): vmlinuz and $(wc -l < "$dir/modules.list") modules in $dir"
