import Foundation
import MailTestSupport
import Testing

@Suite(.offThePool) struct DKIMCommandTests {
    @Test func keygenWritesBothKeysAndPrintsTheirRecords() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try CorreoBinary.run([
            "dkim", "keygen", "Example.test", "--selector", "s1", "--storage", directory.path,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let folder = directory.url.appendingPathComponent("dkim/example.test")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("s1-ed.pem").path))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("s1-rsa.pem").path))
        #expect(result.standardOutput.contains("s1-ed._domainkey.example.test. IN TXT ( \"v=DKIM1; k=ed25519; p="))
        #expect(result.standardOutput.contains("s1-rsa._domainkey.example.test. IN TXT ( \"v=DKIM1; k=rsa; p=MIIBIjAN"))

        // One algorithm: the selector as given. A selector in use is refused (a published key is never
        // replaced in place).
        let single = try CorreoBinary.run([
            "dkim", "keygen", "example.test", "--selector", "s1", "--algorithm", "rsa", "--storage", directory.path,
        ])
        #expect(single.status == 0, "\(single.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("s1.pem").path))
        let clash = try CorreoBinary.run([
            "dkim", "keygen", "example.test", "--selector", "s1-ed", "--algorithm", "ed25519", "--storage",
            directory.path,
        ])
        #expect(clash.status != 0)
        #expect(clash.standardError.contains("exists already"))

        let records = try CorreoBinary.run(["dkim", "records", "example.test", "--storage", directory.path])
        #expect(records.status == 0, "\(records.standardError)")
        #expect(records.standardOutput.split(separator: "\n").count == 3)
    }

    @Test func keygenRefusesWhatIsNoDomainOrSelector() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for arguments in [
            ["nodots"], ["example.test", "--selector", "bad_sel"], ["example.test", "--algorithm", "dsa"],
        ] {
            let result = try CorreoBinary.run(["dkim", "keygen"] + arguments + ["--storage", directory.path])
            #expect(result.status != 0, "\(arguments)")
        }
    }
}
