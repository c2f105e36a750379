using MiniBSD.Hal;
using MiniBSD.Hal.Memory;

namespace MiniBSD.Tests.Hal;

public sealed class PhysicalMemoryTests
{
    [Fact]
    public void Untouched_ram_reads_zero_and_costs_no_host_memory()
    {
        var m = new PhysicalMemory(4 * MachineConfig.GiB);
        Assert.Equal(0, m.BackedFrames);
        Assert.Equal(0UL, m.Read64(0x4000_0000UL + 0xFFFF_F000));
        Assert.Equal(0, m.BackedFrames);
        m.Write64(0x4000_0000UL + 0xFFFF_FFF8, 42);
        Assert.Equal(1, m.BackedFrames);
        Assert.Equal(42UL, m.Read64(0x1_3FFF_FFF8));
        Assert.Equal(1 << 20, m.FrameCount);
    }

    [Fact]
    public void Accesses_outside_ram_are_refused()
    {
        var m = new PhysicalMemory(MachineConfig.MiB);
        Assert.False(m.TryRead64(0x3FFF_FFF8, out _));
        Assert.False(m.TryRead64(0x4010_0000, out _));
        Assert.False(m.TryWrite(0x400F_FFFC, 8, 1));       // straddles the end
        Assert.True(m.TryWrite(0x400F_FFF8, 8, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.ReadBytes(0x400F_FFFF, new byte[2]));
        Assert.False(m.Contains(ulong.MaxValue - 1, 4));
    }

    [Fact]
    public void Bytes_cross_frames_and_unaligned_words_read_back_little_endian()
    {
        var m = new PhysicalMemory(MachineConfig.MiB);
        m.WriteBytes(0x4000_0FFE, [1, 2, 3, 4]);
        Assert.True(m.TryRead(0x4000_0FFE, 4, out ulong v));
        Assert.Equal(0x0403_0201UL, v);
        Assert.True(m.TryRead(0x4000_0FFF, 2, out v));
        Assert.Equal(0x0302UL, v);
        Assert.Equal(0x0201UL << 48, m.Read64(0x4000_0FF8));
    }

    [Fact]
    public void Zero_and_copy_whole_frames()
    {
        var m = new PhysicalMemory(MachineConfig.MiB);
        m.Write64(0x4000_1000, 7);
        m.Write64(0x4000_1FF8, 9);
        m.CopyFrame(0x4000_3000, 0x4000_1000);
        Assert.Equal((7UL, 9UL), (m.Read64(0x4000_3000), m.Read64(0x4000_3FF8)));
        m.ZeroFrame(0x4000_1000);
        Assert.Equal(0UL, m.Read64(0x4000_1FF8));
        m.CopyFrame(0x4000_3000, 0x4000_5000);            // copying a never-touched frame zeroes the target
        Assert.Equal(0UL, m.Read64(0x4000_3000));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.ZeroFrame(0x4000_1008));
    }

    [Fact]
    public void Machine_config_is_validated_field_by_field()
    {
        Assert.Contains("Cpus=65", Assert.Throws<ArgumentException>(() => new Machine(new MachineConfig { Cpus = 65 })).Message);
        Assert.Contains("MemoryBytes", Assert.Throws<ArgumentException>(() => new Machine(new MachineConfig { MemoryBytes = 1000 })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Machine(new MachineConfig { PaBits = 47 }));
        Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() => new Machine(new MachineConfig { PaBits = 32, MemoryBytes = 4 * MachineConfig.GiB })).Message);
        var big = new Machine(new MachineConfig { Cpus = 64, MemoryBytes = 4 * MachineConfig.GiB });
        Assert.Equal(64, big.Cpus.Count);
    }
}
