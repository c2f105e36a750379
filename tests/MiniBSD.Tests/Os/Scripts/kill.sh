sh -c 'while :; do :; done' &
sleep 0.05
kill $!
wait $!
echo "spinner: $?"
