using MiniBSD.Hal.Registers;

namespace MiniBSD.Tests.Hal;

public sealed class RegisterTests
{
    [Fact]
    public void Reference_tcr_example_decodes_field_by_field()
    {
        var tcr = Tcr.Example48Bit; // 0x0000_0015_B510_3510, reference §1.2
        Assert.Equal(16, tcr.T0sz);
        Assert.Equal(16, tcr.T1sz);
        Assert.Equal(Tcr.Tg0Granule4K, tcr.Tg0);
        Assert.Equal(Tcr.Tg1Granule4K, tcr.Tg1);
        Assert.Equal(0b11, tcr.Sh0);
        Assert.Equal(0b01, tcr.Irgn0);
        Assert.Equal(0b01, tcr.Orgn0);
        Assert.Equal(5, tcr.Ips);
        Assert.True(tcr.As);
        Assert.False(tcr.A1);
        Assert.False(tcr.Epd0 || tcr.Epd1 || tcr.Tbi0 || tcr.Tbi1 || tcr.Ha || tcr.Hd);
        Assert.Equal(tcr, Tcr.Create());
    }

    [Fact]
    public void Tcr_create_sets_each_flag_at_its_bit()
    {
        Assert.Equal(1UL << 7, Tcr.Create(epd0: true).Value ^ Tcr.Create().Value);
        Assert.Equal(1UL << 22, Tcr.Create(a1: true).Value ^ Tcr.Create().Value);
        Assert.Equal(1UL << 23, Tcr.Create(epd1: true).Value ^ Tcr.Create().Value);
        Assert.Equal(1UL << 37, Tcr.Create(tbi0: true).Value ^ Tcr.Create().Value);
        Assert.Equal(1UL << 38, Tcr.Create(tbi1: true).Value ^ Tcr.Create().Value);
        Assert.Equal(1UL << 39, Tcr.Create(ha: true).Value ^ Tcr.Create().Value);
        Assert.Equal(1UL << 40, Tcr.Create(hd: true).Value ^ Tcr.Create().Value);
        Assert.Equal(1UL << 41, Tcr.Create(hpd0: true).Value ^ Tcr.Create().Value);
        Assert.Equal(1UL << 42, Tcr.Create(hpd1: true).Value ^ Tcr.Create().Value);
        Assert.Equal(1UL << 36, Tcr.Create(as16: false).Value ^ Tcr.Create().Value);
    }

    [Theory]
    [InlineData(32, 0)]
    [InlineData(36, 1)]
    [InlineData(40, 2)]
    [InlineData(42, 3)]
    [InlineData(44, 4)]
    [InlineData(48, 5)]
    public void Id_aa64mmfr0_reports_parange_asid_bits_and_granules(int paBits, int parange)
    {
        var id = IdAa64Mmfr0.Create(paBits, 16);
        Assert.Equal(parange, id.PaRange);
        Assert.Equal(2, id.AsidBitsField);
        Assert.Equal(0x0FUL, (id.Value >> 24) & 0xF);  // TGran64: not supported
        Assert.Equal(0x0UL, (id.Value >> 28) & 0xF);   // TGran4: supported
        Assert.Equal(0x0UL, (id.Value >> 20) & 0xF);   // TGran16: not supported
        Assert.Equal(paBits, id.PhysicalAddressBits);
        Assert.Equal(0, IdAa64Mmfr0.Create(paBits, 8).AsidBitsField);
    }

    [Fact]
    public void Mair_reference_example_selects_bytes_by_index()
    {
        var mair = Mair.KernelDefault; // 0x0000_0000_0004_44FF
        Assert.Equal(0xFF, mair.Attr(0));
        Assert.Equal(0x44, mair.Attr(1));
        Assert.Equal(0x04, mair.Attr(2));
        Assert.Equal(0x00, mair.Attr(3));
        Assert.Equal("Device-nGnRE", Mair.Describe(0x04));
        Assert.Equal("Device-nGnRnE", Mair.Describe(0x00));
        Assert.Equal("Normal outer WB inner WB", Mair.Describe(0xFF));
        Assert.Equal("Normal outer NC inner NC", Mair.Describe(0x44));
    }

    [Fact]
    public void Par_success_reports_attr_pa_res1_ns_and_sh()
    {
        Assert.Equal(0xFF00_0000_4000_1B80UL, Par.Success(0x4000_1234, 0xFF, 0b11).Value);
        Assert.Equal(0xFF00_0000_4000_1B00UL, Par.Success(0x4000_1234, 0xFF, 0b10).Value);
        Assert.Equal(0xFF00_0000_4000_1A00UL, Par.Success(0x4000_1234, 0xFF, 0b00).Value);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x04)]
    [InlineData(0x0C)]
    [InlineData(0x44)]
    [InlineData(0x40)]
    public void Par_reports_outer_shareable_for_device_and_normal_non_cacheable(byte attr)
    {
        var par = Par.Success(0x4000_0000, attr, 0b11);
        Assert.Equal(0b10, par.Sh);
        Assert.Equal(attr, par.Attr);
    }

    [Fact]
    public void Par_fault_format_has_f_fst_and_res1_bit_11()
    {
        Assert.Equal(0x80FUL, Par.Fault(FaultStatus.TranslationL3).Value);
        Assert.Equal(0x809UL, Par.Fault(FaultStatus.TranslationL0).Value);
        Assert.Equal(0x81DUL, Par.Fault(FaultStatus.PermissionL2).Value);
        Assert.Equal(0x801UL, Par.Fault(FaultStatus.AddressSizeL0).Value);
        Assert.Equal(0x813UL, Par.Fault(FaultStatus.AccessFlagL1).Value);
    }

    [Fact]
    public void Esr_builders_give_the_architectural_syndromes()
    {
        Assert.Equal(0x9200_004FUL, Esr.DataAbort(true, FaultStatus.PermissionL3, write: true).Value);
        Assert.Equal(0x9600_0007UL, Esr.DataAbort(false, FaultStatus.TranslationL3, write: false).Value);
        Assert.Equal(0x8200_000FUL, Esr.InstructionAbort(true, FaultStatus.PermissionL3).Value);
        Assert.Equal(0x8600_0006UL, Esr.InstructionAbort(false, FaultStatus.TranslationL2).Value);
        Assert.Equal(0x5600_0000UL | 42, Esr.Svc(42).Value);
        Assert.Equal(0x0200_0000UL, Esr.Undefined.Value);
        Assert.Equal(0x9600_0157UL, Esr.DataAbort(false, FaultStatus.ExternalAbortOnWalkL3, write: true, cacheMaintenance: true).Value);
    }

    [Theory]
    [InlineData(FaultKind.AddressSize, 0x00)]
    [InlineData(FaultKind.Translation, 0x04)]
    [InlineData(FaultKind.AccessFlag, 0x08)]
    [InlineData(FaultKind.Permission, 0x0C)]
    [InlineData(FaultKind.ExternalAbortOnWalk, 0x14)]
    public void Fault_status_codes_are_type_plus_level(FaultKind kind, int code)
    {
        for (int level = 0; level < 4; level++)
        {
            var status = kind.ToStatus(level);
            Assert.Equal(code | level, (int)status);
            Assert.Equal(kind, status.Kind());
            Assert.Equal(level, status.Level());
        }
        Assert.Equal(0x10, (int)FaultKind.ExternalAbort.ToStatus(0));
        Assert.Equal(0x21, (int)FaultKind.Alignment.ToStatus(0));
    }
}
