import Foundation

/// An SMTP sink for tests of the SMTP client and `correo send`.
///
/// It is `interop/send/smtp_sink.py` on Python's
/// aiosmtpd, listening on 127.0.0.1 with a port the system picks, writing each accepted message to
/// `outdir/<recipient>.eml`. `stop()` ends it.
public final class SMTPSink: @unchecked Sendable {
    /// The port it listens on.
    public let port: Int
    /// Where the messages go.
    public let outdir: URL
    private let process: SpawnedProcess
    private let input: Pipe

    /// Errors in starting the sink.
    public enum Failure: Error, CustomStringConvertible {
        case didNotStart(String)
        /// What went wrong, for the test's failure message.
        public var description: String {
            switch self {
            case .didNotStart(let why): "the aiosmtpd sink did not start: \(why)"
            }
        }
    }

    /// Starts the sink.
    /// - Parameters:
    ///   - outdir: the folder for messages.
    ///   - tls: offer STARTTLS with this certificate.
    ///   - requireTLS: refuse MAIL before STARTTLS.
    ///   - implicitTLS: TLS from the first byte (SMTPS) instead of STARTTLS.
    ///   - auth: require AUTH with this user and password.
    ///   - reject: RCPT replies for some addresses, like `["bad@x.test": "550 5.1.1 No such user"]`.
    ///   - rejectOnce: replies given the first time only.
    ///   - pipelining: advertise PIPELINING.
    ///   - size: advertise SIZE and refuse bigger messages.
    public init(
        outdir: URL,
        tls: TestTLS? = nil,
        requireTLS: Bool = false,
        implicitTLS: Bool = false,
        auth: (user: String, password: String)? = nil,
        reject: [String: String] = [:],
        rejectOnce: [String: String] = [:],
        pipelining: Bool = false,
        size: Int? = nil
    ) throws {
        self.outdir = outdir
        var arguments = [Self.scriptPath, "--outdir", outdir.path]
        if let tls { arguments += ["--cert", tls.certificatePath, "--key", tls.privateKeyPath] }
        if requireTLS { arguments.append("--require-tls") }
        if implicitTLS { arguments.append("--implicit-tls") }
        if let auth { arguments += ["--auth", "\(auth.user):\(auth.password)"] }
        for (address, reply) in reject { arguments += ["--reject", "\(address)=\(reply)"] }
        for (address, reply) in rejectOnce { arguments += ["--reject-once", "\(address)=\(reply)"] }
        if pipelining { arguments.append("--pipelining") }
        if let size { arguments += ["--size", "\(size)"] }
        process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line is "PORT <n>".
        let text = Self.firstLine(of: output)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            process.terminate()
            throw Failure.didNotStart(text.isEmpty ? "no output (is aiosmtpd installed? pip install aiosmtpd)" : text)
        }
        self.port = port
    }

    /// Stops the sink and waits for it to exit.
    public func stop() {
        try? input.fileHandleForWriting.close()
        process.waitForExit()
    }

    /// The messages received for `recipient`, oldest first.
    public func messages(for recipient: String) -> [Data] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: outdir.path)) ?? []
        let prefix = recipient
        let mine = files.filter {
            $0 == "\(prefix).eml"
                || ($0.hasPrefix("\(prefix)-") && $0.hasSuffix(".eml")
                    && Int($0.dropFirst(prefix.count + 1).dropLast(4)) != nil)
        }.sorted { $0.count == $1.count ? $0 < $1 : $0.count < $1.count }
        return mine.compactMap { FileManager.default.contents(atPath: outdir.appendingPathComponent($0).path) }
    }

    /// Every message file's name.
    public var messageFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: outdir.path)) ?? []).filter { $0.hasSuffix(".eml") }
    }

    /// The first line a helper process writes (without its LF), at most 256 bytes.
    ///
    /// Read byte by byte, so that nothing after it is taken from the pipe.
    public static func firstLine(of pipe: Pipe) -> String {
        var line = Data()
        for _ in 0..<256 {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// interop/send/smtp_sink.py, found from this file's place in the package.
    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("interop/send/smtp_sink.py").path
    }
}
