import Logging
import NIOCore

extension DNSResolver {
    /// Asks the nameservers `question`, retrying as RFC 1035 §7.2 and RFC 5452 §9 say.
    ///
    /// `attempts` rounds over the servers in order, one try each with a fresh random ID and source port, until one
    /// gives an answer that is not a server failure (RFC 1035 §7.2, RFC 5452 §9). Every failure ends with the last
    /// server's reason.
    func ask(_ question: DNSQuestion) async -> Result<DNSAnswer, DNSFailure> {
        var failure = DNSFailure.timeout
        for attempt in 1...configuration.attempts {
            for server in configuration.nameservers {
                var outcome = await exchange(question, with: server, edns: true, attempt: attempt)
                // RFC 6891 §7: a server that does not know EDNS answers FORMERR without an OPT record;
                // the same question is asked again without one.
                if case .response(let response) = outcome, response.rcode == .formErr, response.opt == nil {
                    log("FORMERR to EDNS, asking without it", question, server, attempt)
                    outcome = await exchange(question, with: server, edns: false, attempt: attempt)
                }
                switch outcome {
                case .response(let response):
                    let answer = DNSAnswer.interpret(response, for: question)
                    if case .serverFailure(let rcode) = answer {
                        log("server failure \(rcode)", question, server, attempt)
                        failure = .serverFailure(rcode)
                        continue
                    }
                    return .success(answer)
                case .timeout:
                    log("timed out", question, server, attempt)
                    failure = .timeout
                case .failed(let reason):
                    log("failed: \(reason)", question, server, attempt)
                    failure = .unreachable(reason)
                }
            }
        }
        return .failure(failure)
    }

    /// One try of `question` with one server: over UDP, and if the answer comes back truncated (TC=1),
    /// again over TCP with the same server (RFC 7766 §5).
    private func exchange(
        _ question: DNSQuestion,
        with server: DNSServerAddress,
        edns: Bool,
        attempt: Int
    ) async -> DNSExchangeOutcome {
        let id = UInt16.random(in: .min ... .max)
        let message = DNSMessage.query(
            id: id,
            question: question,
            udpPayloadSize: edns ? DNSDefaults.udpPayloadSize : nil
        )
        guard let query = try? message.encoded() else {
            return .failed("query for \(question.name) cannot be encoded")
        }
        let outcome = await DNSDatagramExchange.exchange(
            query: query,
            id: id,
            question: question,
            server: server,
            timeout: configuration.timeout,
            group: eventLoopGroup
        )
        guard case .response(let response) = outcome, response.header.truncated else { return outcome }
        log("truncated over UDP, asking over TCP", question, server, attempt)
        return await DNSStreamExchange.exchange(
            query: query,
            id: id,
            question: question,
            server: server,
            timeout: configuration.timeout,
            group: eventLoopGroup
        )
    }

    private func log(_ event: String, _ question: DNSQuestion, _ server: DNSServerAddress, _ attempt: Int) {
        logger.debug(
            "\(event)",
            metadata: [
                "dns.question": "\(question.name) \(question.type)", "dns.server": "\(server)",
                "dns.attempt": "\(attempt)",
            ]
        )
    }
}
