using MiniBSD.Hal;

namespace MiniBSD.Tests.Os;

/// <summary>
/// sh running /etc/rc on a booted MiniBSD. The scripts under Os/Scripts stick to MiniBSD sh's subset; each .out and
/// .status file is what dash (the host's POSIX sh) printed and returned for the same script, recorded with
/// <c>dash X.sh &gt; X.out 2&gt;&amp;1; echo $? &gt; X.status</c> (MiniBSD's standard error is the console too).
/// MiniBSD must print exactly that.
/// </summary>
public abstract class ShellTests(Arch arch)
{
    public static TheoryData<string> Scripts() =>
        [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Os", "Scripts"), "*.sh").Select(f => Path.GetFileNameWithoutExtension(f)).Order()];

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Prints_what_a_POSIX_sh_prints(string name)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Os", "Scripts");
        var (output, status) = MiniSystem.RunScript(File.ReadAllText(Path.Combine(dir, name + ".sh")), arch: arch);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, name + ".out")), output);
        Assert.Equal(int.Parse(File.ReadAllText(Path.Combine(dir, name + ".status")).Trim(), System.Globalization.CultureInfo.InvariantCulture), status);
    }

    [Fact]
    public void Echo_runs_as_a_program()
    {
        var (output, status) = MiniSystem.RunScript("echo hello world\n", arch: arch);
        Assert.Equal("hello world\n", output);
        Assert.Equal(0, status);
    }
}

public sealed class ShellTestsArm64() : ShellTests(Arch.Arm64);

public sealed class ShellTestsAmd64() : ShellTests(Arch.Amd64);
