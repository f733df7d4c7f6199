import Foundation

/// A line on standard error.
func printError(_ text: String) { writeToStandardError(text + "\n") }

/// Writes `text` to standard error, if anyone still reads it.
///
/// A reader that went away loses the text, not the process: with SIGPIPE ignored (`correo serve`, and
/// systemd's services) `FileHandle.write(_:)` traps on EPIPE.
func writeToStandardError(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
}
