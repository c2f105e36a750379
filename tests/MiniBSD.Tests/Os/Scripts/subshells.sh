total=0
seq 3 | while read n; do total=$((total + n)); done
echo "after pipe: $total"
for n in $(seq 3); do total=$((total + n)); done
echo "after for: $total"
nosuch >/dev/null 2>&1; echo "quiet: $?"
echo visible 2>/dev/null
sh -c 'echo from-child; exit 2'; echo "child: $?"
sh -c 'echo "args: $# $1"' zero one
( cd_like=1; exit 4 ); echo "sub: $?"
echo a | (read x; echo "read $x")
{ echo one; echo two; } | wc -l
seq 5 | cat | cat | wc -l
if ! false; then echo not-false; fi
until true; do echo never; done; echo until-done
i=0; while :; do i=$((i+1)); [ $i -ge 3 ] && break_like=1 && i=100; [ $i -ge 100 ] && echo "stop at $i" && false; [ $i -ge 100 ] || continue_like=1; [ $i -ge 100 ] && exit 0; done
