using Microsoft.Extensions.Logging;

namespace MiniBSD.Cli.Boot;

/// <summary>Writes kernel messages (already stamped with simulated time by the kernel's dmesg) one per line to a writer: stderr.</summary>
internal sealed class DmesgLoggerProvider(TextWriter output) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new DmesgLogger(output);

    public void Dispose() { }

    private sealed class DmesgLogger(TextWriter output) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            output.WriteLine(formatter(state, exception));
    }
}
