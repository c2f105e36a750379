seq 5 | wc -l
seq 3 10 | cat | wc -l
echo one two three | wc -w
seq 4 | while read n; do echo "line $n"; done
echo hi | cat | cat | cat
false | true; echo "status $?"
true | false; echo "status $?"
! true | false; echo "negated $?"
seq 1 3 | cat -
