# exitstorm: every CPU forks short-lived children that touch pages and exit (issue #5). One exitstorm driver a CPU,
# each forking 64 children at once that write 48 fresh pages each, then reaping them; the drivers run in parallel.
ncpu=$(sysctl -n hw.ncpu)
for i in $(seq 1 "$ncpu"); do
	exitstorm 64 48 &
done
failed=0
for i in $(seq 1 "$ncpu"); do
	wait || failed=$((failed + 1))
done
echo "exitstorm: $ncpu drivers x 64 children x 48 pages, $failed failed"
exit $failed
