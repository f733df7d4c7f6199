/// CPU work cut in a few parts run side by side (the calling thread runs the first part itself), for
/// the few steps a client waits on that parse a whole folder's index: opening a big folder after a
/// restart.
///
/// Its lanes are its own (`Lanes`), like `ParallelRead`'s: a part never waits behind a delivery's
/// fsync, nor a group commit behind a part.
enum SideBySide {
    private static let lanes = Lanes(label: "correo.mailstore.side-by-side", count: MailStoreDefaults.sideBySideLanes)

    /// `work(part)` for each part in `0..<parts`, results in part order.
    static func map<R: Sendable>(parts: Int, _ work: @escaping @Sendable (Int) -> R) -> [R] {
        lanes.parts(parts, work)
    }
}
