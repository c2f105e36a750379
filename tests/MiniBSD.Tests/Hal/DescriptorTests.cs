using MiniBSD.Hal.Mmu;

namespace MiniBSD.Tests.Hal;

public sealed class DescriptorTests
{
    [Fact]
    public void Reference_example_descriptors_are_built_bit_for_bit()
    {
        // reference §2.3 "Example descriptors (computed)"
        Assert.Equal(0x0020_0000_4000_1F43UL, Descriptor.Page(0x4000_1000, ap: 0b01, sh: 0b11, ng: true, pxn: true).Value);
        Assert.Equal(0x0060_0000_4000_2703UL, Descriptor.Page(0x4000_2000, ap: 0b00, sh: 0b11, pxn: true, uxn: true).Value);
        Assert.Equal(0x0040_0000_4000_3783UL, Descriptor.Page(0x4000_3000, ap: 0b10, sh: 0b11, uxn: true).Value);
        Assert.Equal(0x0060_0000_4020_0701UL, Descriptor.Block(0x4020_0000, ap: 0b00, sh: 0b11, pxn: true, uxn: true).Value);
        Assert.Equal(0x0000_0000_4000_5003UL, Descriptor.Table(0x4000_5000).Value);
    }

    [Theory]
    [InlineData(0, nameof(Descriptor.IsValid))]
    [InlineData(5, nameof(Descriptor.Ns))]
    [InlineData(10, nameof(Descriptor.Af))]
    [InlineData(11, nameof(Descriptor.NotGlobal))]
    [InlineData(51, nameof(Descriptor.Dbm))]
    [InlineData(52, nameof(Descriptor.Contiguous))]
    [InlineData(53, nameof(Descriptor.Pxn))]
    [InlineData(54, nameof(Descriptor.Uxn))]
    [InlineData(59, nameof(Descriptor.PxnTable))]
    [InlineData(60, nameof(Descriptor.UxnTable))]
    [InlineData(63, nameof(Descriptor.NsTable))]
    public void Each_single_bit_field_reads_its_own_bit(int bit, string field)
    {
        var prop = typeof(Descriptor).GetProperty(field)!;
        Assert.True((bool)prop.GetValue(new Descriptor(1UL << bit))!);
        Assert.False((bool)prop.GetValue(new Descriptor(~(1UL << bit)))!);
    }

    [Fact]
    public void Multi_bit_fields_decode_their_positions()
    {
        var d = new Descriptor(0b101UL << 2 | 0b10UL << 6 | 0b11UL << 8 | 0b10UL << 61 | 0x0000_1234_5678_9000);
        Assert.Equal(5, d.AttrIndx);
        Assert.Equal(0b10, d.Ap);
        Assert.Equal(0b11, d.Sh);
        Assert.Equal(0b10, d.ApTable);
        Assert.Equal(0x0000_1234_5678_9000UL, d.Address);
    }

    [Fact]
    public void Bits_1_0_decode_by_level()
    {
        Assert.True(new Descriptor(0b11).IsTableOrPage);
        Assert.True(new Descriptor(0b01).IsBlockEncoding);
        Assert.False(new Descriptor(0b10).IsValid);
        Assert.Contains("level 0", new Descriptor(0b01).Describe(0));
        Assert.Contains("reserved", new Descriptor(0b01).Describe(3));
        Assert.StartsWith("2 MiB block", new Descriptor(0x4020_0401).Describe(2));
        Assert.StartsWith("1 GiB block", new Descriptor(0x4000_0401).Describe(1));
        Assert.StartsWith("page", new Descriptor(0x4000_0403).Describe(3));
        Assert.StartsWith("table", new Descriptor(0x4000_0003).Describe(2));
    }
}
