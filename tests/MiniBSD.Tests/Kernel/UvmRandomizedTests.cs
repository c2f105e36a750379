using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>
/// Seeded random mmap/munmap/mprotect/fork/write/read/exit sequences over several address spaces on several CPUs,
/// checked after every step against a model of what each space holds, with the coherence checker on; at the end
/// every frame is free again and every ASID released.
/// </summary>
public abstract class UvmRandomizedTests(Arch arch)
{
    private const ulong Window = 0x2000_0000;
    private const int WindowPages = 24;

    /// <summary>An address space and its model: each mapped page's protection, and every word ever written.</summary>
    private sealed class Space(Vmspace vm)
    {
        public Vmspace Vm { get; } = vm;
        public Dictionary<ulong, VmProt> Pages { get; } = [];
        public Dictionary<ulong, ulong> Words { get; } = [];

        /// <summary>The page becomes a fresh zero page (or goes away): forget its words.</summary>
        public void Forget(ulong page)
        {
            foreach (var va in Words.Keys.Where(va => (va & ~0xFFFUL) == page).ToList()) Words.Remove(va);
        }
    }

    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, 16).Select(s => new object[] { s * 7727 });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_address_space_operations_match_the_model(int seed)
    {
        var rng = new Random(seed);
        var u = new UvmFixture(cpus: 3, asidLimit: 5, arch: arch);
        if (u.Pmaps is PmapSystem arm64) arm64.RemoveWalk = seed % 2 == 0 ? PmapRemoveWalk.SkipAbsent : PmapRemoveWalk.PageByPage;
        var spaces = new List<Space> { new(u.NewSpace()) };
        for (int step = 0; step < 300; step++)
        {
            var s = spaces[rng.Next(spaces.Count)];
            var cpu = u.Cpu(rng.Next(3));
            ulong page = Window + (ulong)rng.Next(WindowPages) * 4096;
            int count = rng.Next(1, 5);
            switch (rng.Next(10))
            {
                case 0: Mmap(u, s, page, count, rng.Next(5) == 0 ? VmProt.None : VmProt.ReadWrite); break;
                case 1: Munmap(u, s, page, count); break;
                case 2: Mprotect(u, s, page, count, rng.Next(3) switch { 0 => VmProt.Read, 1 => VmProt.ReadWrite, _ => VmProt.None }); break;
                case 3 when spaces.Count < 4: Fork(u, spaces, s, cpu); break;
                case 4 when spaces.Count > 1: Exit(u, spaces, s, cpu); break;
                case 5 or 6 or 7: Write(u, s, cpu, page + (ulong)rng.Next(512) * 8, (ulong)rng.NextInt64()); break;
                default: Read(u, s, cpu, page + (ulong)rng.Next(512) * 8); break;
            }
            Assert.Empty(u.Machine.Checker.Violations);
        }
        u.FreeAll(spaces.Select(s => s.Vm).ToArray());
    }

    private static void Mmap(UvmFixture u, Space s, ulong page, int count, VmProt prot)
    {
        var flags = MapFlags.Private | MapFlags.Anon | MapFlags.Fixed;
        Assert.Equal(Errno.None, u.Uvm.SysMmap(u.Cpu(), s.Vm, page, (ulong)count * 4096, prot, flags, out ulong va));
        Assert.Equal(page, va);
        for (int i = 0; i < count; i++)
        {
            s.Pages[page + (ulong)i * 4096] = prot;
            s.Forget(page + (ulong)i * 4096);
        }
    }

    private static void Munmap(UvmFixture u, Space s, ulong page, int count)
    {
        Assert.Equal(Errno.None, u.Uvm.SysMunmap(u.Cpu(), s.Vm, page, (ulong)count * 4096));
        for (int i = 0; i < count; i++)
        {
            s.Pages.Remove(page + (ulong)i * 4096);
            s.Forget(page + (ulong)i * 4096);
        }
    }

    private static void Mprotect(UvmFixture u, Space s, ulong page, int count, VmProt prot)
    {
        var pages = Enumerable.Range(0, count).Select(i => page + (ulong)i * 4096).ToList();
        bool covered = pages.All(s.Pages.ContainsKey);
        Assert.Equal(covered ? Errno.None : Errno.ENOMEM, u.Uvm.SysMprotect(u.Cpu(), s.Vm, page, (ulong)count * 4096, prot));
        if (covered) foreach (var p in pages) s.Pages[p] = prot;
    }

    private static void Fork(UvmFixture u, List<Space> spaces, Space parent, Cpu cpu)
    {
        var child = new Space(u.Fork(cpu, parent.Vm));
        foreach (var (p, prot) in parent.Pages) child.Pages[p] = prot;
        foreach (var (va, v) in parent.Words) child.Words[va] = v;
        spaces.Add(child);
    }

    private static void Exit(UvmFixture u, List<Space> spaces, Space s, Cpu cpu)
    {
        u.Exit(cpu, s.Vm);
        spaces.Remove(s);
    }

    private static void Write(UvmFixture u, Space s, Cpu cpu, ulong va, ulong value)
    {
        var outcome = u.User(cpu, s.Vm, va, true, ref value);
        if (!s.Pages.TryGetValue(va & ~0xFFFUL, out var prot))
            Assert.Equal((Signal.SIGSEGV, SigCode.SegvMapErr), (outcome.Signal, outcome.Code));
        else if ((prot & VmProt.Write) == 0)
            Assert.Equal((Signal.SIGSEGV, SigCode.SegvAccErr), (outcome.Signal, outcome.Code));
        else
        {
            Assert.True(outcome.Resolved);
            s.Words[va] = value;
        }
    }

    private static void Read(UvmFixture u, Space s, Cpu cpu, ulong va)
    {
        ulong value = 0;
        var outcome = u.User(cpu, s.Vm, va, false, ref value);
        if (!s.Pages.TryGetValue(va & ~0xFFFUL, out var prot))
            Assert.Equal((Signal.SIGSEGV, SigCode.SegvMapErr), (outcome.Signal, outcome.Code));
        else if ((prot & VmProt.Read) == 0)
            Assert.Equal((Signal.SIGSEGV, SigCode.SegvAccErr), (outcome.Signal, outcome.Code));
        else
        {
            Assert.True(outcome.Resolved);
            Assert.Equal(s.Words.GetValueOrDefault(va), value);
        }
    }
}

public sealed class UvmRandomizedTestsArm64() : UvmRandomizedTests(Arch.Arm64);

public sealed class UvmRandomizedTestsAmd64() : UvmRandomizedTests(Arch.Amd64);
