echo "count: $(seq 7 | wc -l)"
x=$(echo inner $(echo nested))
echo "$x"
echo `echo back quoted`
echo $((2 + 3 * 4)) $(( (2 + 3) * 4 )) $((17 / 5)) $((17 % 5)) $((-3 + 1))
i=5; echo $((i * 2)) $(( i > 3 )) $(( i == 5 && 1 ))
echo $(( 1 << 4 )) $(( 0x10 + 010 ))
a=$(false); echo "after false substitution: $?"
words=$(echo a b c)
for w in $words; do echo "[$w]"; done
for w in "$words"; do echo "[$w]"; done
echo "$(printf_missing 2>/dev/null; echo survived)"
