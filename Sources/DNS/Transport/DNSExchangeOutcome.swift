import NIOCore

/// What one try of one query against one server came to.
enum DNSExchangeOutcome: Sendable {
    /// A response that matches the query (ID, question, source address: RFC 5452 §9.1).
    case response(DNSMessage)
    /// No matching response within the time allowed.
    case timeout
    /// The socket or connection failed.
    case failed(String)
}

extension Duration {
    /// The duration as NIO's `TimeAmount`, for scheduling on an event loop.
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
