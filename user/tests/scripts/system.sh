# The system through busybox's tools: what each prints has Linux's form.
uname -s -r
uname -a | awk '{ print $1, $2, NF }'
ps | head -n 1
ps | awk '$1 == 1 { print $1, $2, $3 }'
ps | awk 'NR > 1 && $2 != "root"' | wc -l
free | head -n 1 | awk '{ print $1, $2, $3 }'
free | awk '/^Mem:/ { print ($2 > 1000 && $3 > 0) ? "Mem: sizes" : "Mem: wrong: " $0 }'
free | grep -c 'buffers/cache'
uptime | grep -c ' up .* load average: [0-9]*\.[0-9][0-9], [0-9]*\.[0-9][0-9], [0-9]*\.[0-9][0-9]$'
date +%Y | awk '{ print ($1 >= 2025) ? "date: a year after 2024" : "date: " $0 }'
date -u +%Z
ls /proc | grep -c '^0$'
ls /proc | grep -c '^1$'
ls -l /proc | grep -c ' self -> [0-9][0-9]*$'
ls -l /proc | awk '$NF == "uptime" { print $1 }'
awk '{ print NF, ($1 >= 0) }' /proc/loadavg
awk '$1 == "cpu" { print $1, NF }' /proc/stat
grep -c '^processor' /proc/cpuinfo
grep -E -c '^(btime|processes|procs_running|procs_blocked|ctxt|intr) ' /proc/stat
grep -c '^pgfault ' /proc/vmstat
top -b -n 1 | head -n 1 | cut -d' ' -f1
top -b -n 1 | grep -c '^ *PID  *PPID  *USER  *STAT  *VSZ  *%VSZ  *%CPU  *COMMAND$'
echo $$ | awk '{ print ($1 > 1) ? "shell pid" : "no pid" }'
cat /proc/$$/stat | awk '{ print $3, NF }'
