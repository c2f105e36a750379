using MiniBSD.Hal.Isa;

namespace MiniBSD.Tests.Hal;

/// <summary>
/// An independent restatement of reference §1-§3 (the Arm ARM stage-1 walk as QEMU implements it) in the shape of the
/// pseudocode, written apart from MiniBSD's walker so the two can be compared on random tables. It predicts what
/// AT leaves behind: a PAR_EL1 value, or the syndrome of the Data Abort taken for an external abort on the walk.
/// </summary>
internal static class ReferenceTranslator
{
    public readonly record struct Regs(ulong Sctlr, ulong Tcr, ulong Ttbr0, ulong Ttbr1, ulong Mair, int PaBits);

    public readonly record struct Outcome(ulong? Par, ulong? AbortEsr);

    private static ulong Bits(ulong x, int hi, int lo) => (x >> lo) & (hi - lo == 63 ? ulong.MaxValue : (1UL << (hi - lo + 1)) - 1);
    private static bool Bit(ulong x, int n) => ((x >> n) & 1) == 1;

    private static ulong FaultPar(int type, int level) => 1UL << 11 | (ulong)(type | level) << 1 | 1;

    public static Outcome Translate(Func<ulong, ulong?> read64, Regs r, ulong va, AtOp op)
    {
        bool el0 = op is AtOp.S1E0R or AtOp.S1E0W, write = op is AtOp.S1E1W or AtOp.S1E0W;
        int sel = (int)Bits(va, 55, 55);
        bool tbi = Bit(r.Tcr, sel == 0 ? 37 : 38);
        int pamax = r.PaBits;
        if (!Bit(r.Sctlr, 0))
        {
            int top = tbi ? 55 : 63;
            if (Bits(va, top, pamax) != 0) return new(FaultPar(0x00, 0), null);
            return new(Pa(va & ((1UL << 52) - 1), 0x00, 0), null);
        }
        int tsz = (int)Bits(r.Tcr, sel == 0 ? 5 : 21, sel == 0 ? 0 : 16);
        if (tsz < 16 || tsz > 39) return new(FaultPar(0x04, 0), null);
        int inputSize = 64 - tsz;
        int addrTop = tbi ? 55 : 63;
        ulong topBits = Bits(va, addrTop, inputSize);
        ulong want = sel == 0 ? 0 : Bits(ulong.MaxValue, addrTop, inputSize);
        if (topBits != want) return new(FaultPar(0x04, 0), null);
        if (Bit(r.Tcr, sel == 0 ? 7 : 23)) return new(FaultPar(0x04, 0), null);
        int ips = (int)Bits(r.Tcr, 34, 32);
        int[] sizes = [32, 36, 40, 42, 44, 48, 52, 52];
        int oa = Math.Min(sizes[ips], pamax);
        bool ee = Bit(r.Sctlr, 25);
        int level = inputSize > 39 ? 0 : inputSize > 30 ? 1 : 2;
        ulong ttbr = sel == 0 ? r.Ttbr0 : r.Ttbr1;
        ulong baseAddr = Bits(ttbr, 47, 0);
        if (Bits(baseAddr, 47, oa) != 0 && oa < 48) return new(FaultPar(0x00, 0), null);
        int firstBits = inputSize - (39 - 9 * level);
        baseAddr &= ~((1UL << (firstBits + 3)) - 1);
        bool pxnT = false, uxnT = false, apT0 = false, apT1 = false;
        bool hpd = Bit(r.Tcr, sel == 0 ? 41 : 42);
        while (true)
        {
            int lsb = 39 - 9 * level;
            int width = level == (inputSize > 39 ? 0 : inputSize > 30 ? 1 : 2) ? firstBits : 9;
            ulong index = Bits(va, lsb + width - 1, lsb);
            ulong address = baseAddr + index * 8;
            ulong? raw = read64(address);
            if (raw is null) return new(null, 0x9600_0140UL | (ulong)(0x14 | level));
            ulong d = ee ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(raw.Value) : raw.Value;
            if (!Bit(d, 0)) return new(FaultPar(0x04, level), null);
            bool isTable = Bit(d, 1) && level < 3;
            bool isBlock = !Bit(d, 1);
            if (isBlock && level != 1 && level != 2) return new(FaultPar(0x04, level), null);
            ulong next = Bits(d, 47, 12) << 12;
            if (oa < 48 && Bits(next, 47, oa) != 0) return new(FaultPar(0x00, level), null);
            if (isTable)
            {
                pxnT |= Bit(d, 59); uxnT |= Bit(d, 60); apT0 |= Bit(d, 61); apT1 |= Bit(d, 62);
                baseAddr = next;
                level++;
                continue;
            }
            bool ha = Bit(r.Tcr, 39), hd = Bit(r.Tcr, 40) && ha;
            if (!Bit(d, 10) && !ha) return new(FaultPar(0x08, level), null);
            ulong ap = Bits(d, 7, 6);
            if (hd && Bit(d, 51) && write) ap &= 0b01;
            if (!hpd)
            {
                if (apT0) ap &= 0b10;
                if (apT1) ap |= 0b10;
            }
            bool userAccess = (ap & 1) != 0, readOnly = (ap & 2) != 0;
            bool allowed = el0 ? userAccess && (!write || !readOnly) : !write || !readOnly;
            if (!allowed) return new(FaultPar(0x0C, level), null);
            int blockShift = lsb;
            ulong pa = (next & ~((1UL << blockShift) - 1)) | (va & ((1UL << blockShift) - 1));
            byte attr = (byte)(r.Mair >> (8 * (int)Bits(d, 4, 2)));
            return new(Pa(pa, attr, (int)Bits(d, 9, 8)), null);
        }
    }

    private static ulong Pa(ulong pa, byte attr, int sh)
    {
        bool device = (attr & 0xF0) == 0, nc = attr is 0x44 or 0x40;
        int reportedSh = device || nc ? 2 : sh;
        return (ulong)attr << 56 | (pa & 0x000F_FFFF_FFFF_F000) | 1UL << 11 | 1UL << 9 | (ulong)reportedSh << 7;
    }
}
