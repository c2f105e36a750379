sleep 0.01 &
echo started
wait
echo waited
false &
p=$!
wait $p; echo "wait of false: $?"
(exit 7) &
wait $!; echo "wait of exit 7: $?"
sh -c 'exit 4' & wait $!; echo "sh -c exit: $?"
for i in 1 2 3; do sh -c "exit $i" & done; wait; echo all-done
