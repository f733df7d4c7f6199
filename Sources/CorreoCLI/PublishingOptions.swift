import ArgumentParser
import CorreoServer
import Foundation

/// The MTA-STS policy's settings: `serve` publishes the policy, `dns` prints the record whose id
/// follows from it, so both read the same flags (and the same `CORREO_…` variables).
struct MTASTSOptions: ParsableArguments {
    @Option(help: "MTA-STS policy mode: enforce, testing or none. [CORREO_MTA_STS_MODE, default testing]")
    var mtaStsMode: String?

    @Option(help: "Seconds senders cache the MTA-STS policy. [CORREO_MTA_STS_MAX_AGE, default 604800]")
    var mtaStsMaxAge: Int?

    @Option(
        help: ArgumentHelp(
            "An MX host pattern of the MTA-STS policy (repeatable). [CORREO_MTA_STS_MX, comma-separated; default the hostname]",
            valueName: "HOST"
        )
    )
    var mtaStsMx: [String] = []

    /// Flags, then `CORREO_…` variables, then the defaults.
    func resolved() throws -> PublishedMTASTSPolicy {
        let modeName = mtaStsMode ?? environment("MTA_STS_MODE") ?? "testing"
        guard let mode = PublishedMTASTSPolicy.Mode(rawValue: modeName.lowercased()) else {
            throw ValidationError("--mta-sts-mode \(modeName): use enforce, testing or none")
        }
        let mx =
            mtaStsMx.isEmpty
            ? environment("MTA_STS_MX")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
            : mtaStsMx
        return PublishedMTASTSPolicy(
            mode: mode,
            mx: try mx.map { try aLabel($0.lowercased(), flag: "--mta-sts-mx") },
            maxAge: try resolveNumber(mtaStsMaxAge, "MTA_STS_MAX_AGE", default: PublishedMTASTSPolicy().maxAge)
        )
    }
}

/// The public listeners of `serve`: HTTPS for MTA-STS, autoconfig and autodiscover, and plain-HTTP
/// autoconfig.
struct PublishingOptions: ParsableArguments {
    @Option(
        help: """
            Serve the MTA-STS policy, Thunderbird autoconfig and Outlook autodiscover over HTTPS on --bind at \
            this port (443 for MTA-STS), with the servers' certificate; 0 is off. [CORREO_HTTPS_PORT, default 0]
            """
    )
    var httpsPort: Int?

    @Option(
        help:
            "Serve autoconfig (only) over plain HTTP at this port, usually 80; 0 is off. [CORREO_AUTOCONFIG_HTTP_PORT, default 0]"
    )
    var autoconfigHttpPort: Int?

    @OptionGroup var mtaSTS: MTASTSOptions

    /// Flags, then `CORREO_…` variables, then the defaults.
    func resolved() throws -> PublishingConfiguration {
        var publishing = PublishingConfiguration()
        publishing.httpsPort = try resolvePort(httpsPort, "HTTPS_PORT", default: 0)
        publishing.autoconfigHTTPPort = try resolvePort(autoconfigHttpPort, "AUTOCONFIG_HTTP_PORT", default: 0)
        publishing.mtaSTS = try mtaSTS.resolved()
        return publishing
    }
}
