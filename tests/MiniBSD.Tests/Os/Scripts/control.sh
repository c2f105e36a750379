for i in 1 2 3; do echo "i=$i"; done
n=0
while [ $n -lt 3 ]; do n=$((n + 1)); echo "n=$n"; done
until [ $n -eq 0 ]; do n=$((n - 1)); done; echo "down to $n"
for w in a b; do
  if [ "$w" = a ]; then echo "$w is a"
  elif test "$w" = b; then echo "$w is b"
  else echo other
  fi
done
if false; then echo no; else echo else-branch; fi
[ -n "" ] || echo "-n of empty is false"
[ -z "" ] && echo "-z of empty is true"
test 3 -gt 2 -a 2 -gt 1 && echo "both"
! false && echo negated
{ echo grouped; echo twice; }
( echo subshell; exit 3 ); echo "subshell status $?"
