using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Tests.Hal;

/// <summary>
/// The whole stage-1 permission matrix: AP x UXN x PXN x WXN x APTable x UXNTable x PXNTable x HPD x EL x PAN x
/// access, each case run through the CPU (load, store or fetch) and through AT, against the rules of reference §2.4
/// written out independently here.
/// </summary>
public sealed class PermissionMatrixTests
{
    private const ulong Va = 0x0000_0000_0040_0000;
    private const ulong Data = 0x4200_0000;

    private readonly record struct Case(int Ap, bool Uxn, bool Pxn, bool Wxn, int ApTable, bool UxnTable, bool PxnTable, bool Hpd, bool El0, bool Pan, AccessType Access);

    /// <summary>Reference §2.4 and §2.2, restated: table attributes only remove rights unless HPD.</summary>
    private static bool Expected(Case c)
    {
        int ap = c.Ap;
        bool uxn = c.Uxn, pxn = c.Pxn;
        if (!c.Hpd)
        {
            if ((c.ApTable & 1) != 0) ap &= ~1;   // APTable[0]: no EL0 access below
            if ((c.ApTable & 2) != 0) ap |= 2;    // APTable[1]: read-only below
            uxn |= c.UxnTable;
            pxn |= c.PxnTable;
        }
        bool el0Read = (ap & 1) != 0, el0Write = ap == 0b01, el1Write = (ap & 2) == 0;
        if (c.El0)
            return c.Access switch
            {
                AccessType.Read => el0Read,
                AccessType.Write => el0Write,
                _ => !uxn && !(c.Wxn && el0Write),
            };
        if (c.Access == AccessType.Execute) return !pxn && !el0Write && !(c.Wxn && el1Write);
        if (c.Pan && el0Read) return false;
        return c.Access == AccessType.Read || el1Write;
    }

    private static IEnumerable<Case> AllCases()
    {
        bool[] tf = [false, true];
        foreach (int ap in new[] { 0, 1, 2, 3 })
            foreach (bool uxn in tf) foreach (bool pxn in tf) foreach (bool wxn in tf)
                foreach (int apt in new[] { 0, 1, 2, 3 })
                    foreach (bool uxnt in tf) foreach (bool pxnt in tf) foreach (bool hpd in tf)
                        foreach (bool el0 in tf) foreach (bool pan in tf)
                            foreach (var access in new[] { AccessType.Read, AccessType.Write, AccessType.Execute })
                                yield return new Case(ap, uxn, pxn, wxn, apt, uxnt, pxnt, hpd, el0, pan, access);
    }

    /// <summary>A page at <see cref="Va"/>, and a way to rewrite its L2 table descriptor and its L3 descriptor.</summary>
    private sealed class Tables
    {
        private readonly ulong _l2Slot, _l3Slot, _l3Table;

        public Tables()
        {
            F = new MmuFixture();
            _l3Slot = F.Map(F.Root0, Va, 3, Descriptor.Page(Data, 0));
            _l2Slot = F.Slot(F.Root0, Va, 2);
            _l3Table = new Descriptor(F.Machine.Memory.Read64(_l2Slot)).Address;
        }

        public MmuFixture F { get; }

        public void Write(Case c)
        {
            F.Machine.Memory.Write64(_l2Slot, Descriptor.Table(_l3Table, c.PxnTable, c.UxnTable, c.ApTable).Value);
            F.Machine.Memory.Write64(_l3Slot, Descriptor.Page(Data, c.Ap, ng: true, pxn: c.Pxn, uxn: c.Uxn).Value);
        }
    }

    [Fact]
    public void Every_combination_through_the_cpu_matches_the_rules()
    {
        var t = new Tables();
        var f = t.F;
        var cpu = f.Cpu;
        var wrong = new List<string>();
        int count = 0;
        foreach (var c in AllCases())
        {
            count++;
            t.Write(c);
            f.Enable(tcr: Tcr.Create(hpd0: c.Hpd), sctlr: Sctlr.MBit | (c.Wxn ? Sctlr.WxnBit : 0));
            cpu.Tlbi(TlbiOp.Vmalle1);
            cpu.SetPan(c.Pan);
            if (c.El0) cpu.EnterUser(0x1000);
            bool allowed = c.Access switch
            {
                AccessType.Read => cpu.TryRead64(Va, out _),
                AccessType.Write => cpu.TryWrite64(Va, 1),
                _ => cpu.TryFetch(Va),
            };
            if (allowed && c.El0) cpu.Svc(0);
            if (allowed != Expected(c)) wrong.Add($"{c}: cpu says {(allowed ? "allowed" : "denied")}");
            else if (!allowed && cpu.Esr.FaultStatus != FaultStatus.PermissionL3) wrong.Add($"{c}: wrong status {cpu.Esr}");
            else if (!allowed && cpu.Esr.Ec != (c.Access == AccessType.Execute
                         ? (c.El0 ? ExceptionClass.InstructionAbortLowerEl : ExceptionClass.InstructionAbortSameEl)
                         : (c.El0 ? ExceptionClass.DataAbortLowerEl : ExceptionClass.DataAbortSameEl)))
                wrong.Add($"{c}: wrong class {cpu.Esr}");
        }
        Assert.Equal(4 * 2 * 2 * 2 * 4 * 2 * 2 * 2 * 2 * 2 * 3, count);
        Assert.Empty(wrong);
        f.AssertCoherent();
    }

    [Fact]
    public void At_matches_the_data_rules_and_ignores_pan()
    {
        var t = new Tables();
        var f = t.F;
        var wrong = new List<string>();
        foreach (var c in AllCases().Where(c => c.Access != AccessType.Execute && !c.Wxn && !c.UxnTable && !c.PxnTable))
        {
            t.Write(c);
            f.Enable(tcr: Tcr.Create(hpd0: c.Hpd));
            f.Cpu.SetPan(c.Pan);
            var op = (c.El0, c.Access) switch
            {
                (false, AccessType.Read) => AtOp.S1E1R,
                (false, _) => AtOp.S1E1W,
                (true, AccessType.Read) => AtOp.S1E0R,
                _ => AtOp.S1E0W,
            };
            var par = f.Cpu.At(op, Va);
            bool expected = Expected(c with { Pan = false });
            if (par.F == expected || (par.F && par.Fst != FaultStatus.PermissionL3)) wrong.Add($"{c}: {op} gave {par}");
        }
        Assert.Empty(wrong);
    }

    [Fact]
    public void El1_never_executes_el0_writable_memory_whatever_pxn_says()
    {
        Assert.Equal(Permissions.El1Read | Permissions.El1Write | Permissions.El0Read | Permissions.El0Write | Permissions.El0Data | Permissions.El0Execute,
            PermissionRules.Compute(ap: 0b01, uxn: false, pxn: false, wxn: false));
    }

    [Fact]
    public void Ap_00_or_10_with_uxn_clear_is_execute_only_user_memory()
    {
        var p = PermissionRules.Compute(ap: 0b10, uxn: false, pxn: true, wxn: false);
        Assert.True(p.Allows(AccessType.Execute, el0: true, pan: false));
        Assert.False(p.Allows(AccessType.Read, el0: true, pan: false));
        Assert.True(p.Allows(AccessType.Read, el0: false, pan: true)); // PAN only concerns EL0-accessible data
    }
}
