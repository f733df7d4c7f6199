import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The SMTP password typed on the terminal, as `ssh` and `sudo` ask for one: echo off (termios) while it is
/// typed, back on afterwards — also when Ctrl-C ends the program at the prompt.
///
/// The password is never echoed, printed or logged.
enum TerminalPassword {
    /// The terminal's settings while echo is off, for the SIGINT handler to put back.
    nonisolated(unsafe) private static var saved = termios()

    /// Asks on standard error and reads a line from standard input; nil when standard input is no terminal.
    static func read(prompt: String) -> String? {
        let input = STDIN_FILENO
        guard isatty(input) == 1 else { return nil }
        var original = termios()
        guard tcgetattr(input, &original) == 0 else { return nil }
        saved = original
        var silent = original
        // No echo of what is typed; the Enter key's newline still shows, so the next line starts afresh.
        silent.c_lflag &= ~tcflag_t(ECHO)
        silent.c_lflag |= tcflag_t(ECHONL)
        let previous = signal(SIGINT) { _ in
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &TerminalPassword.saved)
            _exit(130)
        }
        defer { signal(SIGINT, previous) }
        guard tcsetattr(input, TCSAFLUSH, &silent) == 0 else { return nil }
        defer { tcsetattr(input, TCSAFLUSH, &original) }
        // The prompt only once echo is off: nothing typed after it can show.
        writeToStandardError(prompt)
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        // A password is a line; 4096 bytes is more than any terminal line (and bounds the loop).
        while bytes.count < 4096 {
            let count = Glibc.read(input, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 || byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
