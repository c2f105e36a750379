# set -e through sh -e: what stops the shell and what does not (XCU 2.14 set -e)
sh -ec 'echo one; false; echo never'
echo "status $?"
sh -e -c 'false || echo "or list goes on"; if false; then :; fi; ! true; while false; do :; done; echo "conditions go on"'
echo "status $?"
sh -ec 'true && false; echo never'
echo "status $?"
sh -ec 'false && true; echo "a failed left side of && goes on"'
echo "status $?"
sh -c 'false; echo "without -e it goes on"'
echo "status $?"
sh -ce 'exit 3'
echo "status $?"
sh -q -c 'echo x' 2>&1
echo "status $?"
