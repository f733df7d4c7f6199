import Foundation

/// Reading one message, whole or in part; a run of such reads in a stride is read ahead
/// (`Mailbox+ReadAhead.swift`).
extension Mailbox {
    /// The message's file, for callers that stream it themselves (mind `needsCRLFConversion`).
    public func messageURL(uid: UInt32) -> URL? {
        folder?.filePath(uid: uid).map { URL(fileURLWithPath: $0) }
    }

    /// The whole message with CRLF line ends (bare LFs of other programs' files converted).
    public func readMessage(uid: UInt32) throws -> [UInt8] {
        let current = try loadedFolder()
        noteWholeReads([uid], in: current)
        return try current.read(uid: uid)
    }

    /// Bytes `range` of the CRLF form, clamped to the message (RFC 3501 BODY[]<start.count>).
    public func readMessage(uid: UInt32, range: Range<Int>) throws -> [UInt8] {
        let current = try loadedFolder()
        noteWholeReads([uid], in: current)
        return try current.read(uid: uid, range: range)
    }

    /// The length of the header section including its blank line, in the CRLF form (cached).
    public func headerLength(uid: UInt32) throws -> Int {
        try withFolder { try $0.headerLength(uid: uid) }
    }
}
