namespace MiniBSD.Kernel.Abi;

/// <summary>
/// A system call's arguments as a user program passes them: the values of x0-x5 at the SVC (OpenBSD arm64's calling
/// convention; the number goes in x8). Pointers are user virtual addresses.
/// </summary>
public readonly record struct SyscallArgs(long A0 = 0, long A1 = 0, long A2 = 0, long A3 = 0, long A4 = 0, long A5 = 0);
