# build: a parallel kernel build, make -j NCPU, in the shape of OpenBSD's GENERIC.MP build (issue #12; docs/build-workload.md).
# config writes the makefile (assym.h first, one compile per object through ksh -ec, vers.o, the serial link of bsd);
# each object is make -> ksh -> cc, two forks and two execs, with cc's shared text, heap and long computation.
# OBJECTS (bench exit --set) is the number of objects: 48 by default, 2400 (a GENERIC.MP kernel) in bench exit.
ncpu=$(sysctl -n hw.ncpu)
objects=${OBJECTS:-48}
config -o "$objects" GENERIC.MP | make -s -j "$ncpu" -f -
status=$?
echo "build: make -j $ncpu of $objects objects exited $status"
exit $status
