# Text through pipelines, loops and substitutions: a user's one-liners.
words="pear apple fig apple pear apple"
for w in $words; do echo "$w"; done | sort | uniq -c | sort -rn
echo "$words" | wc -w
printf '%s\n' one two three | wc -l
echo "hello world" | sed 's/world/ferrite/; s/^h/H/'
printf 'a 1\nb 2\nc 3\n' | awk '{ s += $2 } END { print "sum", s, "rows", NR }'
printf 'alpha\nbeta\ngamma\ndelta\n' | grep -n 'ta$'
printf 'x\ny\n' | grep -v x
for n in 1 2 3 4; do
    case $n in
    1) echo "one" ;;
    2 | 3) echo "two or three: $n" ;;
    *) echo "other $n" ;;
    esac
done
echo "count: $(echo a b c | wc -w | tr -d ' ') letters, $((6 * 7)) answer"
echo abc | tr a-c A-C
seq 1 5 | tail -n 2 | head -n 1
i=0
while [ $i -lt 3 ]; do i=$((i + 1)); done
echo "loop ran $i times"
f() { echo "function got $# args: $*"; return 3; }
f x "y z"
echo "status $?"
false || echo "or runs"
true && echo "and runs"
echo "$(cat /etc/motd | cut -d' ' -f1)"
no-such-command 2>/dev/null
echo "not found: $?"
