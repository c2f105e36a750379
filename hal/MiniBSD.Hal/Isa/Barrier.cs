namespace MiniBSD.Hal.Isa;

/// <summary>The CRm option of DSB/DMB (reference §4.3: SY=15, ST=14, LD=13, ISH=11, ISHST=10, ISHLD=9, NSH=7, ...).</summary>
public enum BarrierOption : byte
{
    Oshld = 1, Oshst = 2, Osh = 3, Nshld = 5, Nshst = 6, Nsh = 7, Ishld = 9, Ishst = 10, Ish = 11, Ld = 13, St = 14, Sy = 15,
}
