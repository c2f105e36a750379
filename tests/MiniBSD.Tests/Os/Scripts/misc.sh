x=3
for i in 1 2
do
  echo "i=$i x=$((x+i))"
done
if [ "$x" = 3 ]; then echo three; fi
y="a  b"; echo $y; echo "$y"
echo 'it''s' "q\"uote" \\back
n=0; while [ $n -lt 2 ]
do n=$((n+1)); done; echo n=$n
echo $(echo $(echo deep))
echo "${x}0" ${#y}
echo "tab:	end"
a=1 b=2; echo $a$b
true && { echo grp; false; } || echo after-false
echo $((10 - 2 - 3)) $((2 * (3 + 4))) $(( 7 / 2 )) $((1 ? 5 : 6))
v=$(seq 3 | wc -l); echo "v=[$v]"
for w in $(seq 2); do echo w$w; done
echo "$(echo "inner quotes")"
set_x=1
echo done $?
