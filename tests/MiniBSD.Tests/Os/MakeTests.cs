using MiniBSD.Hal;

namespace MiniBSD.Tests.Os;

/// <summary>/usr/bin/make: prerequisites first, recipe lines echoed and run in children, -j, failures and bad makefiles.</summary>
public abstract class MakeTests(Arch arch)
{
    private const string Program = """
        # a small program
        all: prog

        prog: a.o b.o
        	echo link prog
        a.o: a.c gen.h
        	echo compile a
        b.o: b.c gen.h
        	echo compile b
        	echo second line for b
        gen.h:
        	@echo generate
        """;

    private (string Console, MiniSystem System) Make(string rc, string makefile, int cpus = 2)
    {
        var s = new MiniSystem(rc, cpus: cpus, files: new Dictionary<string, string> { ["/m"] = makefile }, arch: arch);
        string console = s.Run();
        s.AssertCleanHalt();
        return (console, s);
    }

    [Fact]
    public void Prerequisites_are_built_first_and_each_line_is_echoed_then_run() => Assert.Equal("""
        generate
        echo compile a
        compile a
        echo compile b
        compile b
        echo second line for b
        second line for b
        echo link prog
        link prog
        status 0

        """, Make("make -j 1 -f /m; echo status $?\n", Program).Console);

    [Fact]
    public void A_line_with_shell_syntax_runs_through_sh_and_s_silences_the_echo() => Assert.Equal(
        "one\ntwo\nstatus 0\n", Make("make -s -f /m; echo status $?\n", "t:\n\techo one; echo two\n").Console);

    [Fact]
    public void A_failing_line_stops_make_with_status_2_and_nothing_after_it_starts() => Assert.Equal(
        "false\n*** Error 1 in x\nstatus 2\n", Make("make -j 1 -f /m 2>&1; echo status $?\n", "all: x y\nx:\n\tfalse\ny:\n\techo never\n").Console);

    [Fact]
    public void A_shell_line_runs_under_sh_ec_so_its_first_failure_stops_it() => Assert.Equal(
        "false; echo after\n*** Error 1 in x\nstatus 2\n", Make("make -f /m 2>&1; echo status $?\n", "x:\n\tfalse; echo after\n").Console);

    [Fact]
    public void Dash_f_dash_reads_the_makefile_from_standard_input() => Assert.Equal(
        "from stdin\nstatus 0\n", Make("cat /m | make -s -f -; echo status $?\n", "a:\n\techo from stdin\n").Console);

    [Fact]
    public void The_special_target_dot_shell_names_the_shell_of_the_recipe_lines()
    {
        // ksh (OpenBSD's /bin/sh) forks the command of -c where sh (dash) execs it in place: one fork more.
        long Forks(string makefile) => Make("make -s -f /m\n", makefile).System.Kernel.Fork.Forks;
        const string line = "t:\n\techo 'one; two'\n";   // quotes: shell syntax
        Assert.Equal(Forks(line) + 1, Forks(".SHELL: path=/bin/ksh\n" + line));
        Assert.Equal("make: /m:1: .SHELL needs path=PATH\nstatus 2\n", Make("make -f /m 2>&1; echo status $?\n", ".SHELL: name=x\nt:\n\ttrue\n").Console);
    }

    [Theory]
    [InlineData("a: b\nb: a\n\techo x\n", "", "make: a cycle in the dependencies of a")]
    [InlineData("hello\n", "", "make: /m:1: not a rule (target: prerequisites)")]
    [InlineData("\techo x\n", "", "make: /m:1: a recipe line before any rule")]
    [InlineData("a:\n\techo x\n", "nothing", "make: don't know how to make nothing")]
    [InlineData("a:\n\techo x\n", "-j 0", "make: -j 0: the number of jobs must be 1 to 1024")]
    public void A_bad_makefile_or_goal_is_named_and_gives_2(string makefile, string args, string message) => Assert.Equal(
        $"{message}\nstatus 2\n", Make($"make -f /m {args} 2>&1; echo status $?\n", makefile).Console);

    [Fact]
    public void A_missing_makefile_is_named() => Assert.Equal(
        "make: /nope: No such file or directory\nstatus 2\n", Make("make -f /nope 2>&1; echo status $?\n", "").Console);

    [Fact]
    public void Jobs_run_in_parallel_up_to_j()
    {
        const string twoSleeps = "all: a b\na:\n\t@sleep 0.001\nb:\n\t@sleep 0.001\n";
        long Time(int jobs) => Make($"make -j {jobs} -f /m\n", twoSleeps).System.Machine.Cpus.Max(c => c.Clock);
        long serial = Time(1), parallel = Time(2);
        Assert.True(serial >= 2 * 2_500_000, $"-j 1 took {serial} cycles");            // two 1 ms sleeps, one after the other
        Assert.True(parallel < 2_000_000 + serial / 2, $"-j 2 took {parallel} cycles, -j 1 {serial}");
    }
}

public sealed class MakeTestsArm64() : MakeTests(Arch.Arm64);

public sealed class MakeTestsAmd64() : MakeTests(Arch.Amd64);
