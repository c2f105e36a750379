sh -c 'while :; do :; done' &
sleep 0.001
kill $!
wait $!
echo "spinner: $?"
