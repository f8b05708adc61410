using System.Text;
using Vfioctl.Interop;

namespace Vfioctl.Output;

/// <summary>
/// The process's standard output and error as UTF-8 text writers over <see cref="StandardStream"/>
/// (not System.Console, see there). Both flush on every write, as the console writers do, so
/// progress and warnings appear as they happen and nothing is lost at exit.
/// </summary>
internal static class StandardStreams
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static TextWriter Out { get; } = Create(StandardStream.Output);
    public static TextWriter Error { get; } = Create(StandardStream.Error);

    private static TextWriter Create(Stream stream) =>
        TextWriter.Synchronized(new StreamWriter(stream, Utf8, bufferSize: 4096, leaveOpen: true) { AutoFlush = true });

    /// <summary>Whether <paramref name="writer"/> is this process's standard output and that is a terminal.</summary>
    public static bool IsTerminal(TextWriter writer) => ReferenceEquals(writer, Out) && StandardStream.Output.IsTerminal;
}
