import Foundation
import Testing

@testable import MailStore

/// The name a user's folder gets from an address.
///
/// Lower case, an internationalised domain as its A-label, and refused when it could name anything but
/// one folder in the storage. ASCII addresses take a byte-by-byte path of their own; both paths must
/// give the answers the rules give.
@Suite struct NormalizedUserTests {
    @Test func addressesAreLowercasedAndDomainsGivenAsALabels() throws {
        for (address, user) in [
            ("Bob@Example.ORG", "bob@example.org"),
            ("bob@example.org", "bob@example.org"),
            ("A.B+Tag@X.Y", "a.b+tag@x.y"),
            ("\"quoted@local\"@Example.org", "\"quoted@local\"@example.org"),
            ("bob@BÜCHER.example", "bob@xn--bcher-kva.example"),
            ("Jörg@Example.org", "jörg@example.org"),
            ("ÉLODIE@bücher.example", "élodie@xn--bcher-kva.example"),
        ] {
            #expect(try MailStore.normalizedUser(address) == user, "\(address)")
        }
    }

    @Test func anAddressThatCouldNameAnotherPathIsRefused() {
        for address in [
            "", "bob", "@example.org", "bob@", ".bob@example.org", "bob/../x@example.org", "bob\\x@example.org",
            "bob @example.org", "bob\t@example.org", "bob\u{7F}@example.org", "bob\u{0}@example.org",
            String(repeating: "a", count: 250) + "@x.yz", ".jörg@example.org", "jörg/x@example.org", "jörg@",
        ] {
            #expect(throws: MailStoreError.self, "\(address.debugDescription)") {
                try MailStore.normalizedUser(address)
            }
        }
    }

    /// Every printable ASCII byte in the local part, in both cases: the ASCII path answers as Unicode
    /// lowercasing and the rules do.
    @Test func everyASCIIByteIsLowercasedAsUnicodeDoes() throws {
        for byte in UInt8(0x21)...0x7E where byte != UInt8(ascii: "/") && byte != UInt8(ascii: "\\") {
            let address = "a" + String(UnicodeScalar(byte)) + "Z@Example.org"
            #expect(try MailStore.normalizedUser(address) == address.lowercased(), "\(address)")
        }
        #expect(try MailStore.normalizedUser(String(repeating: "A", count: 242) + "@example.org").utf8.count == 254)
    }
}
