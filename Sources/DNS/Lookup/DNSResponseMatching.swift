/// Whether a response answers the query that was sent (RFC 5452 §9.1).
///
/// It must have the same ID, QR set, a standard query, and the very question that was asked (RFC 5452 §9.1). A response
/// that does not match is ignored, not taken as a failure: it may be a late answer to an earlier query or a spoofing
/// attempt, and the real answer may follow. (The source address is checked by the transport, which knows it.)
public enum DNSResponseMatching {
    /// True when `response` is a response to the query with `id` and `question`; names are compared
    /// without ASCII case (RFC 4343 §3), so 0x20 mixed case would also pass.
    public static func matches(_ response: DNSMessage, id: UInt16, question: DNSQuestion) -> Bool {
        response.header.id == id && response.header.isResponse && response.header.opcode == 0
            && response.questions.count == 1 && response.questions[0] == question
    }
}
