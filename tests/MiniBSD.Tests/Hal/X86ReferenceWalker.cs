using MiniBSD.Hal.Memory;

namespace MiniBSD.Tests.Hal;

/// <summary>
/// An independent reading of Intel SDM Vol. 3A §4.5-4.7 for the tests, written apart from MiniBSD's walker: it first
/// collects the entries of the walk, then decides the outcome from the list. Its answer: a PA, a #PF error code, or
/// #GP. A and D are not modelled (it reads a snapshot).
/// </summary>
internal static class X86ReferenceWalker
{
    public readonly record struct Regs(ulong Cr0, ulong Cr3, ulong Cr4, ulong Efer, int PaBits);

    public readonly record struct Answer(ulong? Pa, uint? Pf, bool Gp)
    {
        public override string ToString() => Gp ? "gp" : Pa is { } pa ? $"pa 0x{pa:x}" : $"pf 0x{Pf:x}";
    }

    public static Answer Translate(PhysicalMemory ram, Regs r, ulong va, char access, int cpl, bool ac)
    {
        ulong top = va >> 47;
        if (top != 0 && top != 0x1FFFF) return new(null, null, true);
        bool wp = (r.Cr0 >> 16 & 1) == 1, smep = (r.Cr4 >> 20 & 1) == 1, smap = (r.Cr4 >> 21 & 1) == 1, nxe = (r.Efer >> 11 & 1) == 1;
        uint code = (access == 'w' ? 2u : 0) | (cpl == 3 ? 4u : 0) | (access == 'x' && (nxe || smep) ? 16u : 0);
        ulong maxpa = (1UL << r.PaBits) - 1;
        var entries = new List<ulong>();
        ulong table = r.Cr3 & maxpa & ~0xFFFUL;
        int leafLevel = -1;
        for (int level = 4; level >= 1; level--)   // the SDM's names: 4 PML4, 3 PDPT, 2 PD, 1 PT
        {
            ulong index = (va >> (12 + 9 * (level - 1))) & 0x1FF;
            ulong entry = ram.TryRead64(table + index * 8, out ulong v) ? v : ~0UL;
            entries.Add(entry);
            if ((entry & 1) == 0) return new(null, code, false);
            ulong rsvd = 0;
            for (int b = r.PaBits; b <= 51; b++) rsvd |= 1UL << b;
            if (!nxe) rsvd |= 1UL << 63;
            bool ps = (entry >> 7 & 1) == 1;
            if (level == 4 && ps) return new(null, code | 1 | 8, false);
            if (level == 3 && ps) for (int b = 13; b <= 29; b++) rsvd |= 1UL << b;
            if (level == 2 && ps) for (int b = 13; b <= 20; b++) rsvd |= 1UL << b;
            if ((entry & rsvd) != 0) return new(null, code | 1 | 8, false);
            if (level == 1 || ((level == 3 || level == 2) && ps)) { leafLevel = level; break; }
            table = entry & maxpa & 0x000F_FFFF_FFFF_F000;
        }
        bool user = entries.All(e => (e & 4) != 0);
        bool write = entries.All(e => (e & 2) != 0);
        bool exec = !nxe || entries.All(e => (e >> 63) == 0);
        bool ok = (cpl, access) switch
        {
            (3, 'r') => user,
            (3, 'w') => user && write,
            (3, _) => user && exec,
            (_, 'x') => exec && !(user && smep),
            (_, 'r') => !(user && smap && !ac),
            _ => !(user && smap && !ac) && (write || !wp),
        };
        if (!ok) return new(null, code | 1, false);
        ulong size = 1UL << (12 + 9 * (leafLevel - 1));
        ulong leaf = entries[^1];
        ulong frame = leaf & maxpa & 0x000F_FFFF_FFFF_F000 & ~(size - 1);
        return new(frame + (va & (size - 1)), null, false);
    }
}
