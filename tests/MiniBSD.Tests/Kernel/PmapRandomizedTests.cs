using MiniBSD.Hal;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>
/// Seeded random enter/remove/protect/activate/deactivate sequences over several address spaces and CPUs, checked
/// after every step against a model of what each space maps, with the coherence checker on throughout.
/// </summary>
public sealed class PmapRandomizedTests
{
    private const ulong Base = 0x40_0000;

    private sealed class Space(Pmap pm)
    {
        public Pmap Pm { get; } = pm;
        public Dictionary<ulong, (ulong Frame, VmProt Prot)> Model { get; } = [];
    }

    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, 12).Select(s => new object[] { s * 104729 });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_pmap_operations_match_the_model(int seed)
    {
        var rng = new Random(seed);
        var k = new KernelFixture(cpus: 3, asidLimit: 4);
        k.Pmaps.RemoveWalk = rng.Next(2) == 0 ? PmapRemoveWalk.PageByPage : PmapRemoveWalk.SkipAbsent;
        var spaces = Enumerable.Range(0, 5).Select(_ => new Space(k.Pmaps.PmapCreate(k.Cpu())!)).ToList();
        foreach (var sp in spaces) k.Pmaps.PmapActivate(k.Cpu(), sp.Pm, curproc: false); // one thread each
        int checks = 0;
        for (int step = 0; step < 400; step++)
        {
            var cpu = k.Cpu(rng.Next(3));
            var s = spaces[rng.Next(spaces.Count)];
            ulong va = Base + (ulong)rng.Next(48) * 0x1000 + (rng.Next(4) == 0 ? 0x2000_0000UL : 0);
            switch (rng.Next(6))
            {
                case 0 or 1: Enter(k, cpu, s, va, rng.Next(2) == 0 ? VmProt.Read : VmProt.ReadWrite); break;
                case 2: Remove(k, cpu, s, va, va + (ulong)rng.Next(1, 8) * 0x1000); break;
                case 3: Protect(k, cpu, s, va, va + (ulong)rng.Next(1, 8) * 0x1000, rng.Next(3) == 0 ? VmProt.None : VmProt.Read); break;
                case 4: Switch(k, cpu, s); break;
                default: CheckFromUser(k, cpu, va); break;
            }
            Assert.Empty(k.Machine.Checker.Violations);
            foreach (var sp in spaces) Assert.Equal(sp.Model.Count, sp.Pm.ResidentCount);
        }
        Assert.True(checks > 10, $"only {checks} user reads were checked");
        foreach (var s in spaces)
        {
            foreach (var other in k.Machine.Cpus)                        // the thread exits on cpu0
                if (k.Pmaps.CurrentPmap(other) == s.Pm && other != k.Cpu()) k.Pmaps.PmapSetTtb(other, k.Pmaps.Kernel);
            if (k.Pmaps.CurrentPmap(k.Cpu()) != s.Pm) k.Pmaps.PmapSetTtb(k.Cpu(), s.Pm);
            k.Pmaps.PmapDeactivate(k.Cpu(), s.Pm);
            foreach (var (va, _) in s.Model.ToList()) Remove(k, k.Cpu(), s, va, va + 0x1000);
            k.Pmaps.PmapDestroy(k.Cpu(), s.Pm);
        }
        k.AssertCleanAndNoLeaks();

        void CheckFromUser(KernelFixture kf, Cpu cpu, ulong va)
        {
            var loaded = spaces.FirstOrDefault(x => kf.Pmaps.CurrentPmap(cpu) == x.Pm);
            if (loaded is null) return;
            bool ok = KernelFixture.UserRead(cpu, va, out ulong v);
            bool mapped = loaded.Model.TryGetValue(va, out var m);
            Assert.Equal(mapped, ok);
            if (ok) Assert.Equal(m.Frame, v); // each frame holds its own address
            checks++;
        }
    }

    private static void Enter(KernelFixture k, Cpu cpu, Space s, ulong va, VmProt prot)
    {
        // Mapped with other permissions: change them in place; else a fresh frame (replacing any old one).
        bool had = s.Model.TryGetValue(va, out var old);
        ulong frame = had && old.Prot != prot ? old.Frame : k.Anon();
        if (frame != old.Frame) k.Machine.Memory.Write64(frame, frame);
        Assert.True(k.Pmaps.PmapEnter(cpu, s.Pm, va, frame, prot));
        if (had && old.Frame != frame) k.Pages.Free(k.Cpu(), old.Frame); // replaced break-before-make
        s.Model[va] = (frame, prot);
    }

    private static void Remove(KernelFixture k, Cpu cpu, Space s, ulong sva, ulong eva)
    {
        int expected = s.Model.Keys.Count(va => va >= sva && va < eva);
        Assert.Equal(expected, k.Pmaps.PmapRemove(cpu, s.Pm, sva, eva));
        foreach (var va in s.Model.Keys.Where(va => va >= sva && va < eva).ToList())
        {
            k.Pages.Free(k.Cpu(), s.Model[va].Frame);
            s.Model.Remove(va);
        }
    }

    private static void Protect(KernelFixture k, Cpu cpu, Space s, ulong sva, ulong eva, VmProt prot)
    {
        if (prot == VmProt.None)
        {
            Remove(k, cpu, s, sva, eva);
            return;
        }
        k.Pmaps.PmapProtect(cpu, s.Pm, sva, eva, prot);
        foreach (var va in s.Model.Keys.Where(va => va >= sva && va < eva).ToList())
            s.Model[va] = (s.Model[va].Frame, prot);
    }

    /// <summary>cpu_switchto: the space's thread runs here now, and nowhere else; or this CPU idles.</summary>
    private static void Switch(KernelFixture k, Cpu cpu, Space s)
    {
        if (k.Pmaps.CurrentPmap(cpu) == s.Pm)
        {
            k.Pmaps.PmapSetTtb(cpu, k.Pmaps.Kernel);
            return;
        }
        foreach (var other in k.Machine.Cpus)
            if (k.Pmaps.CurrentPmap(other) == s.Pm) k.Pmaps.PmapSetTtb(other, k.Pmaps.Kernel);
        k.Pmaps.PmapSetTtb(cpu, s.Pm);
    }
}
