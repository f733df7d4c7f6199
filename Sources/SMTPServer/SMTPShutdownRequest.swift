/// Asks every session to end after its current transaction (sent down the pipeline on shutdown).
public struct SMTPShutdownRequest: Sendable {
    /// The request; it carries nothing.
    public init() {}
}
