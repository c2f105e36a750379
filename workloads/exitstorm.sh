# exitstorm: every CPU forks short-lived children that touch pages and exit (issue #5). One exitstorm driver a CPU,
# each forking 48 children at once that write 48 fresh pages each, then reaping them; the drivers run in parallel.
# (48 a CPU keeps 64 CPUs' worth under the default kern.maxproc of 1000.) PAGES and ENTRIES, when set (bench exit
# --set or --sweep), change each child's resident pages and how many map entries hold them.
ncpu=$(sysctl -n hw.ncpu)
pages=${PAGES:-48}
entries=${ENTRIES:-1}
pids=
for i in $(seq 1 "$ncpu"); do
	exitstorm 48 "$pages" "$entries" &
	pids="$pids $!"
done
failed=0
for pid in $pids; do
	wait "$pid" || failed=$((failed + 1))
done
echo "exitstorm: $ncpu drivers x 48 children x $pages pages in $entries entries, $failed failed"
exit $failed
