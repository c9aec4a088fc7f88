# Processes, files and the kernel's own through busybox: read loops (poll), wait
# (rt_sigsuspend), system() and popen() (vfork), time and timeout (itimers, signals), files
# in /tmp (tmpfs), mount, df and dmesg.
printf 'one\ntwo\nthree\n' > /tmp/lines
while read -r line; do echo "read: $line"; done < /tmp/lines
n=0; while read -r line; do n=$((n + 1)); done < /tmp/lines; echo "lines: $n"
sleep 1 & wait $!; echo "waited: $?"
(exit 3) & wait $!; echo "background exit: $?"
awk 'BEGIN { r = system("echo from system"); print "system gave", r }'
awk 'BEGIN { while (("echo a b c" | getline l) > 0) print "popen:", l; close("echo a b c") }'
{ time true; } 2>&1 | grep -c '^real'
timeout 1 sleep 5; echo "timeout: $?"
timeout 5 true; echo "no timeout: $?"
f=$(mktemp); echo "mktemp in /tmp: ${f%/*}"
echo hello > "$f"; sed -i 's/hello/bye/' "$f"; cat "$f"
mkdir -p /tmp/d/e && mv "$f" /tmp/d/e/g && ls /tmp/d/e
rm -r /tmp/d /tmp/lines; ls /tmp | wc -l
echo shared > /dev/shm/s && cat /dev/shm/s && rm /dev/shm/s
mount | awk '$3 == "/tmp" || $3 == "/dev/shm" { print $1, $3, $5 }'
df /tmp | awk 'NR == 2 { print $1, ($2 > 0) ? "has a size" : "no size", $NF }'
df -k | awk 'NR == 1 { print $1, $NF }'
dmesg | grep -c '^Memory: [0-9]* free pages'
