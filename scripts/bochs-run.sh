#!/bin/bash
# Boot an ISO in Bochs without a window (what `make bochs` does; the tests use it too).
#
#   scripts/bochs-run.sh [--timeout SECONDS] [--out DIR] [--quiet] ISO
#
# Bochs emulates a Pentium with 32 MB. Everything goes to files in DIR (default
# build/bochs): bochsrc, com1.log (the serial port), e9.log (port 0xE9, interleaved with
# the few lines Bochs's debugger prints), screen.log (the text screen as terminal escape
# sequences: `cat` it to see the last screen), bochs.log (Bochs's own log) and stderr.log.
# The serial output is also shown here as it arrives, unless --quiet.
#
# Bochs quits by itself when the kernel writes "Shutdown" to port 0x8900. Ctrl-C, a
# SIGINT or SIGTERM to this script, or the timeout stop it earlier.
#
# Exit status: 0 when the guest shut Bochs down after init exited with status 0 (or
# after the self-tests), 124 on timeout, 130 when stopped by a signal, 1 otherwise:
# when init died or failed, too (the kernel's "init exited with status N" line).
set -euo pipefail

usage() {
    echo "usage: $0 [--timeout SECONDS] [--out DIR] [--quiet] [--disk IMAGE] ISO" >&2
    exit 2
}

timeout=0
out=
quiet=no
disk=
iso=
while [ $# -gt 0 ]; do
    case "$1" in
    --timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --quiet) quiet=yes; shift ;;
    --disk) [ $# -ge 2 ] || usage; disk=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    -*) usage ;;
    *) [ -z "$iso" ] || usage; iso=$1; shift ;;
    esac
done
[ -n "$iso" ] || usage
if [ ! -f "$iso" ]; then
    echo "$0: $iso: no such file" >&2
    exit 1
fi

root=$(cd "$(dirname "$0")/.." && pwd)
out=${out:-$root/build/bochs}
mkdir -p "$out"
out=$(cd "$out" && pwd)
iso=$(cd "$(dirname "$iso")" && pwd)/$(basename "$iso")

rom=/usr/share/bochs/BIOS-bochs-latest
vgarom=/usr/share/vgabios/vgabios.bin
for f in "$rom" "$vgarom"; do
    [ -f "$f" ] || { echo "$0: $f is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done

# With a disk, it is the primary master (hda) and the CD the secondary master (hdc).
if [ -n "$disk" ]; then
    drives="ata0-master: type=disk, path=\"$disk\", mode=flat
ata1: enabled=1, ioaddr1=0x170, ioaddr2=0x370, irq=15
ata1-master: type=cdrom, path=\"$iso\", status=inserted"
else
    drives="ata0-master: type=cdrom, path=\"$iso\", status=inserted"
fi

# The term display is the only one without a window in Debian's packages (there is no
# nogui). Built with the debugger, Bochs gives it a pseudo-terminal of its own, so it
# needs no terminal here, only a TERM that curses knows.
cat > "$out/bochsrc" <<EOF
megs: 32
cpu: model=pentium
romimage: file=$rom
vgaromimage: file=$vgarom
$drives
boot: cdrom
com1: enabled=1, mode=file, dev=$out/com1.log
port_e9_hack: enabled=1
display_library: term
clock: sync=none
speaker: enabled=0
log: $out/bochs.log
EOF

# Debian's Bochs has its debugger built in and stops at its prompt before the first
# instruction. The debugger reads this file first: continue. When the simulation stops
# again (Ctrl-C), the file is used up and the debugger reads standard input, which is
# /dev/null, so Bochs quits instead of waiting at a prompt.
echo c > "$out/debugger.rc"

rm -f "$out/com1.log" "$out/e9.log" "$out/bochs.log" "$out/stderr.log" "$out/screen.log"
# Made here, not by the redirections of the background job below, which may come after
# the first look at stderr.log for the pseudo-terminal's name.
: > "$out/com1.log"
: > "$out/stderr.log"

TERM=${TERM:-vt100}
[ "$TERM" = dumb ] && TERM=vt100
export TERM

bochs -q -f "$out/bochsrc" -rc "$out/debugger.rc" \
    < /dev/null > "$out/e9.log" 2> "$out/stderr.log" &
bochs_pid=$!

# The term display writes to a pseudo-terminal nobody reads; once its buffer is full
# Bochs blocks. Drain it (raw, so nothing is echoed back) into screen.log.
drain=
for _ in $(seq 100); do
    pts=$(sed -n 's/^Bochs connected to screen "\(.*\)"$/\1/p' "$out/stderr.log")
    if [ -n "$pts" ] || ! kill -0 "$bochs_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ -n "${pts:-}" ]; then
    stty -F "$pts" raw -echo 2>/dev/null || true
    cat "$pts" > "$out/screen.log" 2>/dev/null &
    drain=$!
fi

follower=
if [ "$quiet" = no ]; then
    tail -n +1 -f --pid="$bochs_pid" "$out/com1.log" &
    follower=$!
fi

# Bochs ignores SIGTERM; SIGINT is what stops it. Only ever signal the Bochs started here.
stopped=no
stop_bochs() {
    stopped=yes
    kill -INT "$bochs_pid" 2>/dev/null || true
}
trap stop_bochs INT TERM

timed_out=no
elapsed=0
while kill -0 "$bochs_pid" 2>/dev/null; do
    # A busy Bochs may miss a SIGINT: ask again every few seconds until it has gone.
    if [ "$stopped" = yes ] && [ $((elapsed % 5)) -eq 4 ]; then
        kill -INT "$bochs_pid" 2>/dev/null || true
    fi
    if [ "$timeout" -gt 0 ] && [ "$elapsed" -ge "$timeout" ]; then
        # Again every few seconds, in case Bochs was busy when the first one came.
        if [ "$timed_out" = no ] || [ $(((elapsed - timeout) % 5)) -eq 0 ]; then
            [ "$timed_out" = yes ] || echo "$0: timeout after ${timeout}s, stopping Bochs" >&2
            timed_out=yes
            kill -INT "$bochs_pid" 2>/dev/null || true
        fi
    fi
    sleep 1 &
    wait $! || true         # a trapped signal ends this wait early
    elapsed=$((elapsed + 1))
done
wait "$bochs_pid" 2>/dev/null || true
# Both end by themselves once Bochs has gone: tail through --pid, cat with EIO.
for p in $follower $drain; do
    wait "$p" 2>/dev/null || true
done

if [ "$timed_out" = yes ]; then
    exit 124
elif [ "$stopped" = yes ]; then
    exit 130
elif grep -q "shutdown requested" "$out/stderr.log" "$out/bochs.log" 2>/dev/null; then
    status=$(sed -n 's/.*init exited with status \([0-9]*\): powering off.*/\1/p' \
             "$out/com1.log" | tail -n 1)
    if [ -n "$status" ] && [ "$status" != 0 ]; then
        echo "$0: init exited with status $status" >&2
        exit 1
    fi
    exit 0
fi
echo "$0: Bochs stopped without a shutdown request; see $out/stderr.log" >&2
exit 1
