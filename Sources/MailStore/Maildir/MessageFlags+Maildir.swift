/// The Maildir file name's letter for each system flag.
extension MessageFlags {
    /// Letter for each flag, as the Maildir specification (cr.yp.to/proto/maildir.html) names them.
    static let letters: [(flag: MessageFlags, letter: UInt8)] = [
        (.draft, UInt8(ascii: "D")), (.flagged, UInt8(ascii: "F")), (.answered, UInt8(ascii: "R")),
        (.seen, UInt8(ascii: "S")), (.deleted, UInt8(ascii: "T")),
    ]
}
