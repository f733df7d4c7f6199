import Logging
import NIOCore

extension DNSResolver {
    /// Asks the nameservers `question`: `attempts` rounds over the servers in order, one try each with a
    /// fresh random ID and source port, until one gives an answer that is not a server failure
    /// (RFC 1035 §7.2, RFC 5452 §9). A truncated UDP answer (TC=1) is asked again over TCP from the
    /// same server (RFC 7766 §5). Every failure ends with the last server's reason.
    func ask(_ question: DNSQuestion) async -> Result<DNSAnswer, DNSFailure> {
        var failure = DNSFailure.timeout
        for attempt in 1...configuration.attempts {
            for server in configuration.nameservers {
                let id = UInt16.random(in: .min ... .max)
                guard let query = try? DNSMessage.query(id: id, question: question).encoded() else {
                    return .failure(.unreachable("query for \(question.name) cannot be encoded"))
                }
                var outcome = await DNSDatagramExchange.exchange(
                    query: query,
                    id: id,
                    question: question,
                    server: server,
                    timeout: configuration.timeout,
                    group: eventLoopGroup
                )
                if case .response(let response) = outcome, response.header.truncated {
                    log("truncated over UDP, asking over TCP", question, server, attempt)
                    outcome = await DNSStreamExchange.exchange(
                        query: query,
                        id: id,
                        question: question,
                        server: server,
                        timeout: configuration.timeout,
                        group: eventLoopGroup
                    )
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
