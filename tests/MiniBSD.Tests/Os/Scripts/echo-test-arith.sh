echo 'a\tb' "c\nd" e\\f
echo -n "no newline"; echo " then"
echo "stop\c here"; echo next
echo "\0101\0102"
count=0
for f in a b c; do
  case_like=$f
  count=$((count + 1))
done
echo "count $count last $case_like"
x=5; x=$((x*x)); echo $x
echo $(( (1 << 10) - 1 )) $(( -7 / 2 )) $(( -7 % 3 ))
echo "$((3 > 2)) $((3 < 2)) $((3 >= 3)) $((2 != 2))"
[ 5 -ge 5 ] && echo ge; [ abc != abd ] && echo ne; [ ! -z x ] && echo notz
test -e /bin/sh && echo has-sh
test -d /bin && echo bin-dir
false; echo "st=$?"; ! false; echo "neg=$?"
echo "$(false)x$?"
exit 0
