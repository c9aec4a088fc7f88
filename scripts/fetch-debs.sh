#!/bin/bash
# Fetch Debian's i386 packages the initrds carry unmodified: busybox-static (the system's
# shell and tools), and dash with libc6 (a dynamically linked program and its libraries,
# for the tests).
#
#   scripts/fetch-debs.sh [DIR]        (DIR defaults to build/debs)
#
# Leaves each package's files unpacked in DIR/PACKAGE/ (DIR/busybox-static/bin/busybox,
# DIR/libc6/lib/ld-linux.so.2, ...) and DIR/versions, one "package version" line each.
# Safe to run again: it does nothing once DIR/versions is there. Not as root, it prints
# what root must run first (adding the i386 architecture, apt-get update), if anything.
set -euo pipefail

dir=${1:-build/debs}
packages=(busybox-static dash libc6)

[ -s "$dir/versions" ] && exit 0

root=$([ "$(id -u)" -eq 0 ] && echo yes || echo no)
known() { apt-cache show "$1:i386" >/dev/null 2>&1; }

if ! dpkg --print-foreign-architectures | grep -qx i386 || ! known busybox-static; then
    if [ $root = no ]; then
        echo "fetch-debs: not root; run these, then make again:"
        echo "sudo dpkg --add-architecture i386"
        echo "sudo apt-get update"
        exit 1
    fi
    dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
    # An index that failed to download (a mirror in sync) leaves the others usable.
    apt-get update || true
fi

rm -rf "$dir" && mkdir -p "$dir/deb"
# apt's download user cannot write into a root-owned build tree: fetch in a directory it can.
(cd "$dir/deb" && chmod 777 . && apt-get download $(printf '%s:i386 ' "${packages[@]}"))
chmod 755 "$dir/deb"
: > "$dir/versions.new"
for p in "${packages[@]}"; do
    deb=$(ls "$dir"/deb/"${p}"_*_i386.deb)
    dpkg-deb -x "$deb" "$dir/$p"
    echo "$p $(dpkg-deb -f "$deb" Version)" >> "$dir/versions.new"
done
rm -rf "$dir/deb"
mv "$dir/versions.new" "$dir/versions"
echo "fetch-debs: $(tr '\n' ' ' < "$dir/versions")in $dir"
