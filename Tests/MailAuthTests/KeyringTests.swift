import Foundation
import MailAuth
import MailTestSupport
import Testing

@Suite("DKIM keys in STORAGE/dkim/", .offThePool)
struct KeyringTests {
    static let message = Array("From: Ann <ann@example.org>\r\nTo: x@example.net\r\nSubject: s\r\n\r\nbody\r\n".utf8)

    @Test("keys made into the folder are used without a restart, removed ones dropped, other domains left unsigned")
    func pickUp() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("correo-dkim-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyring = DKIMKeyring(folder: folder, rescanInterval: 0)
        #expect(keyring.sign(Self.message, now: 1) == Self.message)

        let ed = try keyring.generate(domain: "Example.org", selector: "s-ed", algorithm: .ed25519SHA256)
        #expect(throws: DKIMKeyringError.self) {
            try keyring.generate(domain: "example.org", selector: "s-ed", algorithm: .rsaSHA256)
        }
        let file = keyring.keyFile(domain: "example.org", selector: "s-ed")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(keyring.signers(for: "example.org").map(\.selector) == ["s-ed"])

        // A key written by another process (`correo dkim keygen` while the server runs).
        let other = DKIMKeyring(folder: folder)
        let rsa = try other.generate(domain: "example.org", selector: "s-rsa", algorithm: .rsaSHA256)
        #expect(keyring.signers(for: "example.org").map(\.selector) == ["s-ed", "s-rsa"])

        let signed = keyring.sign(Self.message, now: 1_700_000_000)
        let zone = FixedZone(txt: [
            "s-ed._domainkey.example.org": [ed.keyRecord], "s-rsa._domainkey.example.org": [rsa.keyRecord],
        ])
        let results = await DKIMVerifier(resolver: zone).verify(signed, now: 1_700_000_000)
        #expect(results.map(\.status) == [.pass, .pass])
        #expect(results.map(\.selector) == ["s-ed", "s-rsa"])

        let stranger = Array("From: someone@example.com\r\n\r\nx\r\n".utf8)
        #expect(keyring.sign(stranger, now: 1) == stranger)

        try FileManager.default.removeItem(at: file)
        #expect(keyring.signers(for: "example.org").map(\.selector) == ["s-rsa"])
    }
}
