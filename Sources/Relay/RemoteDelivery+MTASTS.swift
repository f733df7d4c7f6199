import Foundation
import Logging
import MTASTS
import MailStore
import SMTPClient

extension RemoteDelivery {
    /// The MTA-STS policy that governs delivery to `domain` (RFC 8461 §5), for an MX route only.
    ///
    /// A smarthost or an address literal has no MX to check. A policy whose mode is `none` governs nothing. A policy
    /// that was announced but could not be had is reported to TLS-RPT and delivery goes on without one.
    func stsPolicy(for domain: String, route: Route, envelope: QueueEnvelope) async -> STSPolicy? {
        guard case .hosts = route, let policies = security?.policies else { return nil }
        switch await policies.decision(for: domain) {
        case .noPolicy:
            return nil
        case .policy(let policy):
            logger.debug(
                "MTA-STS policy applies",
                metadata: [
                    "event": "mta-sts.policy", "queue_id": "\(envelope.id)", "policy_domain": "\(domain)",
                    "result": "\(policy.mode.rawValue)",
                ]
            )
            return policy.mode == .none ? nil : policy
        case .unavailable(let error):
            logSTS(envelope, domain: domain, host: nil, result: "unavailable", reason: "\(error)")
            await tally(domain, nil, .failure(error.resultType, mx: nil, address: nil, reason: error.reason))
            return nil
        }
    }

    /// RFC 8461 §4.1: under an enforced policy only the MX hosts that match it are candidates; the others
    /// are logged as skipped.
    ///
    /// None left is counted for TLS-RPT as a validation failure.
    func candidates(_ names: [String], domain: String, sts: STSPolicy, envelope: QueueEnvelope) async -> [String] {
        let matching = names.filter { sts.matches($0) }
        for name in names where !matching.contains(name) {
            logSTS(envelope, domain: domain, host: name, result: "skipped", reason: "MX host does not match the policy")
        }
        if matching.isEmpty {
            let reason = "no MX host matches the MTA-STS policy"
            await tally(domain, sts, .failure(.validationFailure, mx: names.first, address: nil, reason: reason))
        }
        return matching
    }

    /// Counts one session for TLS-RPT, when it is on.
    func tally(_ domain: String, _ policy: STSPolicy?, _ result: TLSSessionResult) async {
        await security?.ledger?.record(result, domain: domain, policy: policy, now: clock())
    }

    /// One line per MTA-STS decision, in the log vocabulary of `LogKey`.
    func logSTS(_ envelope: QueueEnvelope, domain: String, host: String?, result: String, reason: String) {
        logger.info(
            "MTA-STS",
            metadata: [
                "event": "mta-sts.apply", "queue_id": "\(envelope.id)", "policy_domain": "\(domain)",
                "relay": "\(host ?? "none")", "result": "\(result)", "reason": "\(reason)",
            ]
        )
    }

    /// The TLS-RPT result type of a failed session (RFC 8460 §4.3), nil when the failure had nothing to
    /// do with TLS (refused connection, timeout).
    ///
    /// A certificate from a trusted authority for other names is `certificate-host-mismatch`, one past
    /// its notAfter in a trusted chain `certificate-expired`, a chain without a trust anchor
    /// `certificate-not-trusted`; any other handshake failure is `validation-failure`, the result type
    /// §4.3.1 keeps for a failure without a more precise one.
    static func resultType(_ error: SMTPClientError) -> TLSRPTResultType? {
        switch error {
        case .startTLSNotOffered, .startTLSRejected: .starttlsNotSupported
        case .tlsHandshakeFailed(.hostnameMismatch): .certificateHostMismatch
        case .tlsHandshakeFailed(.certificateExpired): .certificateExpired
        case .tlsHandshakeFailed(.certificateNotTrusted): .certificateNotTrusted
        case .tlsHandshakeFailed: .validationFailure
        default: nil
        }
    }
}
