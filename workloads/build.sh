# build: a parallel kernel build, make -j NCPU (issue #5). /usr/bin/make reads the makefile of an arm64 GENERIC
# kernel build (genassym, 123 compile jobs each driving an assembler pass, vers.o, the link of bsd) and keeps one
# job a CPU running; every job is a fork + exec + exit + wait, so the exit path sits on the critical path.
ncpu=$(sysctl -n hw.ncpu)
make -s -j "$ncpu"
status=$?
echo "build: make -j $ncpu exited $status"
exit $status
