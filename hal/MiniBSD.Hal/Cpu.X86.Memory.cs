using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.X86;

namespace MiniBSD.Hal;

/// <summary>x86 loads, stores and fetches: canonical check, TLB by PCID, the 4-level walk, #PF and #GP.</summary>
public sealed partial class Cpu
{
    /// <summary>The general access path on amd64: each page touched translated, then the RAM or device access.</summary>
    private bool TryAccessX86(ulong va, int size, AccessType access, bool user, out ulong value, ulong store)
    {
        value = 0;
        if (!TranslateX86(va, access, user, out ulong pa)) return false;
        ulong pageEnd = (va | 0xFFF) + 1;
        bool crosses = va + (ulong)size > pageEnd && pageEnd != 0;
        ulong pa2 = 0;
        if (crosses && !TranslateX86(pageEnd, access, user, out pa2)) return false;
        if (access == AccessType.Execute) return true;
        return crosses ? SplitAccess(va, size, access, pa, pa2, out value, store) : RamAccess(va, pa, size, access, out value, store);
    }

    private bool TranslateX86(ulong va, AccessType access, bool user, out ulong pa)
    {
        pa = va;
        if (!PagingWalker.IsCanonical(va))
        {
            X86Exception(X86.Vector.GP, 0);   // no walk, CR2 unchanged (SDM Vol. 3A §6.15)
            return false;
        }
        if (!_paging.Cr0.Pg)
        {
            Counters.UntranslatedAccesses++;
            Clock += _hitCost;
            return true;
        }
        int cpl = user ? 3 : 0;
        bool ac = (_rflags & X86.RflagsBits.AC) != 0;
        ulong va56 = va & 0x00FF_FFFF_FFFF_FFFF;
        if (Tlb.TryLookup(va56, _paging.Pcid, out var entry))
        {
            if (_machine.Checker.Enabled) _machine.Checker.CheckHit(this, in entry, va);
            if (!(access == AccessType.Write && entry.DirtyPending))
            {
                Counters.TlbHits++;
                Clock += _hitCost;
                if (!X86Rights.Allows(entry.Permissions, access, cpl, _paging.Cr0.Wp, _paging.Cr4.Smep, _paging.Cr4.Smap, ac))
                    return PageFault(va, AccessError(access, cpl) | PageFaultError.Present, entry.Level);
                pa = entry.PhysicalAddress(va);
                FillMicro(va, access, user, pa, entry.Permissions);
                return true;
            }
        }
        Counters.TlbMisses++;
        Clock += _costs.TlbMiss + _hitCost;
        var walk = PagingWalker.Walk(_memory, _paging, va, access, new PagingWalker.Options(cpl, ac));
        Clock += walk.Reads * _costs.WalkRead;
        if (walk.Reads > 0) Counters.CountWalk(walk.Reads);
        if (walk.IsFault) return PageFault(va, walk.Error, walk.Level);
        var replaced = Tlb.Insert(va56, _paging.Pcid, in walk);
        if (replaced.Valid)
        {
            if (replaced.Level < 3) ClearMicroTlb();
            else ForgetMicroPage(replaced.VaBase);
        }
        pa = walk.PhysicalAddress(va);
        FillMicro(va, access, user, pa, walk.Rights);
        return true;
    }

    /// <summary>Whether a TLB entry's rights allow an access now (arm64 without PAN; amd64 with CR0.WP, SMEP, SMAP, AC).</summary>
    internal bool RightsAllow(Permissions p, AccessType access, bool el0) => _x86 is null
        ? p.Allows(access, el0, pan: false)
        : X86Rights.Allows(p, access, el0 ? 3 : 0, _paging.Cr0.Wp, _paging.Cr4.Smep, _paging.Cr4.Smap, (_rflags & X86.RflagsBits.AC) != 0);

    private PageFaultError AccessError(AccessType access, int cpl) =>
        (access == AccessType.Write ? PageFaultError.Write : 0) | (cpl == 3 ? PageFaultError.User : 0)
        | (access == AccessType.Execute && (_paging.Efer.Nxe || _paging.Cr4.Smep) ? PageFaultError.Fetch : 0);
}
