# configure: a long serial chain of small fork/exec/exit/wait steps, like an autoconf configure script (issue #5).
# Each check compiles a test program (cc, which runs its assembler pass), runs a test, and records the answer
# through a command substitution; nothing runs in parallel, so each step waits for the exit of the one before.
checks=0
yes=0
for feature in $(seq 1 60); do
	if cc -c -m 12 -w 20000 -h 1 conftest.c; then
		result=$(echo yes)
	else
		result=no
	fi
	if [ "$result" = yes ] && true; then
		yes=$((yes + 1))
	fi
	checks=$((checks + 1))
done
echo "configure: $checks checks, $yes found"
