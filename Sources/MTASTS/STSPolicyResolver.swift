import Foundation
import Logging

/// The DNS answer to a TXT question, as MTA-STS and TLS-RPT need it.
public enum TXTAnswer: Sendable, Hashable {
    /// The texts of the TXT records (each record's strings joined).
    case texts([String])
    /// No such name, or no TXT there.
    case none
    /// No trustworthy answer now.
    case temporaryFailure(String)
}

/// Where the TXT records come from: correo's resolver (`DNSResolver` conforms) or a test's table.
public protocol TXTResolving: Sendable {
    /// The TXT records at `name`.
    func txtAnswer(_ name: String) async -> TXTAnswer
}

/// Why fetching a policy failed, with the TLS-RPT result type it is reported as.
public struct STSFetchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `sts-policy-fetch-error`, `sts-webpki-invalid` or `sts-policy-invalid`.
    public var resultType: TLSRPTResultType
    /// What went wrong, for the log.
    public var reason: String

    /// Makes a fetch error.
    public init(_ resultType: TLSRPTResultType, _ reason: String) {
        self.resultType = resultType
        self.reason = reason
    }

    /// The reason.
    public var description: String { "\(resultType.rawValue): \(reason)" }
}

/// Gets the body of `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` (`HTTPSPolicyFetcher`, or a test's).
public protocol STSPolicyFetching: Sendable {
    /// The policy body for `domain`.
    func fetchPolicy(domain: String) async throws(STSFetchError) -> String
}

/// What the relay is to do for one recipient domain.
public enum STSDecision: Sendable, Hashable {
    /// No MTA-STS policy: deliver by the configured TLS policy.
    case noPolicy
    /// A policy applies (from the cache or just fetched).
    case policy(STSPolicy)
    /// The domain announces a policy that could not be had and none is cached: deliver as without one
    /// (RFC 8461 §5.1), and report the failure.
    case unavailable(STSFetchError)
}

/// Finds the MTA-STS policy of a recipient domain by RFC 8461 §3.3 and §5.1: the TXT record's `id`
/// decides whether the cached policy is still current; a new one is fetched over HTTPS, parsed and cached
/// for its `max_age`; when the fetch fails a cached policy that has not expired is kept.
public actor STSPolicyResolver {
    let dns: any TXTResolving
    let fetcher: any STSPolicyFetching
    let cache: STSPolicyCache
    let logger: Logger
    let clock: @Sendable () -> Date
    /// Domains whose fetch failed, with when to try again: a failing web server is not asked at every
    /// message.
    private var failures: [String: (until: Date, error: STSFetchError)] = [:]
    /// How long a failed fetch is not repeated.
    public static let failureBackoff: TimeInterval = 300

    /// Makes a resolver over a TXT source, a fetcher, a cache and a clock.
    public init(
        dns: any TXTResolving,
        fetcher: any STSPolicyFetching,
        cache: STSPolicyCache,
        logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.dns = dns
        self.fetcher = fetcher
        self.cache = cache
        self.logger = logger
        self.clock = clock
    }

    /// The decision for `domain`.
    public func decision(for domain: String) async -> STSDecision {
        let domain = STSPolicy.normalized(domain)
        let now = clock()
        let cached = cache.entry(for: domain).flatMap { $0.isValid(at: now) ? $0 : nil }
        let id: String?
        switch await dns.txtAnswer("_mta-sts.\(domain)") {
        case .texts(let texts): id = TXTDirective.stsID(texts)
        case .none: id = nil
        case .temporaryFailure(let why):
            // No answer is not "no policy": keep what is cached (§5.1), else go on as without one.
            logger.debug("MTA-STS TXT look-up failed", metadata: ["domain": "\(domain)", "error": "\(why)"])
            return cached.map { .policy($0.policy) } ?? .noPolicy
        }
        guard let id else {
            // §5.1: no (valid) TXT record, but a cached policy: it stays in force until it expires.
            return cached.map { .policy($0.policy) } ?? .noPolicy
        }
        if let cached, cached.id == id { return .policy(cached.policy) }
        if let failure = failures[domain], failure.until > now {
            return cached.map { .policy($0.policy) } ?? .unavailable(failure.error)
        }
        do throws(STSFetchError) {
            let body = try await fetcher.fetchPolicy(domain: domain)
            let policy: STSPolicy
            do throws(STSPolicyError) {
                policy = try STSPolicy.parse(body)
            } catch {
                throw STSFetchError(.stsPolicyInvalid, error.description)
            }
            failures[domain] = nil
            do {
                try cache.store(.init(id: id, policy: policy, fetched: now), for: domain)
            } catch {
                logger.warning(
                    "cannot cache an MTA-STS policy",
                    metadata: ["domain": "\(domain)", "error": "\(error)"]
                )
            }
            logger.info(
                "MTA-STS policy fetched",
                metadata: [
                    "event": "mta-sts.fetch", "domain": "\(domain)", "result": "ok",
                    "mode": "\(policy.mode.rawValue)", "id": "\(id)", "max_age": "\(policy.maxAge)",
                ]
            )
            return .policy(policy)
        } catch {
            failures = failures.filter { $0.value.until > now }  // forget the domains that are due again anyway
            failures[domain] = (now.addingTimeInterval(Self.failureBackoff), error)
            logger.warning(
                "MTA-STS policy fetch failed",
                metadata: [
                    "event": "mta-sts.fetch", "domain": "\(domain)", "result": "failed",
                    "reason": "\(error)", "cached": "\(cached != nil)",
                ]
            )
            // §5.1: a valid cached policy is kept when the new one cannot be had.
            return cached.map { .policy($0.policy) } ?? .unavailable(error)
        }
    }
}
