import ArgumentParser
import Foundation
import MailAuth

/// `correo dkim`: the DKIM keys correo signs its users' outgoing mail with (STORAGE/dkim/DOMAIN/).
struct DKIMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dkim",
        abstract: "Make DKIM signing keys and print the DNS records that publish them.",
        subcommands: [Keygen.self, Records.self]
    )

    /// `correo dkim keygen DOMAIN`: one key per algorithm, each under its own selector.
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Make signing keys for a domain (Ed25519 and 2048-bit RSA by default) and print their TXT records.",
            discussion: """
                With both algorithms the selectors are SELECTOR-ed and SELECTOR-rsa; with one, SELECTOR itself. \
                The running server picks new keys up within seconds; publish the records first, as mail \
                signed with an unpublished key fails DKIM at the receiver.
                Example: correo dkim keygen example.org --selector 2026a
                """
        )

        @OptionGroup var storage: StorageOption

        @Argument(help: "The signing domain (the domain of the From addresses to sign).")
        var domain: String

        @Option(help: "The selector, or its stem when both algorithms are made. [default correo]")
        var selector = "correo"

        @Option(help: "rsa, ed25519 or both. [default both]")
        var algorithm = "both"

        func validate() throws {
            let label = #"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"#
            let isName = { (text: String) in
                !text.isEmpty
                    && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
                        String($0).range(of: label, options: .regularExpression) != nil
                    }
            }
            guard isName(domain), domain.contains(".") else { throw ValidationError("\(domain) is not a domain name") }
            guard isName(selector) else {
                throw ValidationError("\(selector) is not a DNS name (letters, digits, hyphens, dots)")
            }
            guard ["rsa", "ed25519", "both"].contains(algorithm) else {
                throw ValidationError("--algorithm is rsa, ed25519 or both")
            }
        }

        func run() throws {
            let keyring = DKIMKeyring(folder: storage.url.appendingPathComponent("dkim", isDirectory: true))
            let made: [(String, DKIMAlgorithm)] =
                switch algorithm {
                case "rsa": [(selector, .rsaSHA256)]
                case "ed25519": [(selector, .ed25519SHA256)]
                default: [("\(selector)-ed", .ed25519SHA256), ("\(selector)-rsa", .rsaSHA256)]
                }
            let domain = domain.lowercased()
            try keepingStorageOwner(storage.url) {
                for (selector, algorithm) in made {
                    let key = try keyring.generate(domain: domain, selector: selector, algorithm: algorithm)
                    print("; \(keyring.keyFile(domain: domain, selector: selector).path)")
                    print(DKIMCommand.zoneLine(domain: domain, selector: selector, record: key.keyRecord))
                }
            }
        }
    }

    /// `correo dkim records DOMAIN`: the TXT records of the keys already made.
    struct Records: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the TXT records of a domain's signing keys.")

        @OptionGroup var storage: StorageOption

        @Argument(help: "The signing domain.")
        var domain: String

        func run() throws {
            let keyring = DKIMKeyring(folder: storage.url.appendingPathComponent("dkim", isDirectory: true))
            let signers = keyring.signers(for: domain)
            guard !signers.isEmpty else {
                throw ValidationError("no DKIM keys for \(domain); make them with correo dkim keygen \(domain)")
            }
            for signer in signers {
                print(
                    DKIMCommand.zoneLine(domain: signer.domain, selector: signer.selector, record: signer.key.keyRecord)
                )
            }
        }
    }

    /// A zone-file line, the text cut into quoted strings of at most 255 octets (RFC 1035 §3.3.14;
    /// a 2048-bit RSA key's record is longer than one string).
    static func zoneLine(domain: String, selector: String, record: String) -> String {
        var strings: [String] = []
        var rest = Substring(record)
        while !rest.isEmpty {
            strings.append("\"\(rest.prefix(255))\"")
            rest = rest.dropFirst(255)
        }
        return "\(selector)._domainkey.\(domain). IN TXT ( \(strings.joined(separator: " ")) )"
    }
}
