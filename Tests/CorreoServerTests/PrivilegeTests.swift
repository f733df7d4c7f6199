import CorreoServer
import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `--user` option: who may start how, and handing the storage folder over.
///
/// Dropping privileges itself ends the process's root for good, so it is tested on the real binary (CorreoCLITests/PrivilegeDropTests).
@Suite(.offThePool) struct PrivilegeTests {
    @Test func rootNeedsAUserForPortsBelow1024() {
        #expect(
            Privileges.refusal(privilegedPorts: [25, 993], account: nil, effectiveUID: 0)
                == .rootWithoutUser(ports: [25, 993])
        )
        #expect(
            Privileges.refusal(privilegedPorts: [25], account: ServiceAccount(user: "nobody"), effectiveUID: 0) == nil
        )
        #expect(Privileges.refusal(privilegedPorts: [], account: nil, effectiveUID: 0) == nil)
        #expect(
            Privileges.refusal(privilegedPorts: [25], account: ServiceAccount(user: "root"), effectiveUID: 0) == nil
        )
    }

    @Test func anotherUserNeedsRoot() {
        #expect(
            Privileges.refusal(privilegedPorts: [], account: ServiceAccount(user: "root"), effectiveUID: 65534)
                == .notRoot(user: "root")
        )
        #expect(Privileges.refusal(privilegedPorts: [], account: nil, effectiveUID: 1000) == nil)
    }

    @Test func privilegedPortsAreTheOnesSwitchedOnBelow1024() {
        let ports = CorreoConfiguration.Ports(smtp: 25, submission: 0, smtps: 465, imap: 1143, imaps: 993)
        #expect(CorreoConfiguration(ports: ports).privilegedPorts == [25, 465, 993])
        #expect(CorreoConfiguration().privilegedPorts.isEmpty)
    }

    @Test func accountsResolveThroughThePasswordDatabase() throws {
        let nobody = try ServiceAccount(user: "nobody").resolve()
        #expect(nobody.uid == 65534 && nobody.name == "nobody")
        let root = try ServiceAccount(user: "root", group: "root").resolve()
        #expect(root == ResolvedAccount(name: "root", uid: 0, gid: 0))
        #expect(throws: PrivilegeError.unknownUser("no-such-user-x")) {
            try ServiceAccount(user: "no-such-user-x").resolve()
        }
        #expect(throws: PrivilegeError.unknownGroup("no-such-group-x")) {
            try ServiceAccount(user: "nobody", group: "no-such-group-x").resolve()
        }
    }

    @Test func handOverGivesTheWholeStorageAwayWithoutFollowingLinks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let storage = directory.url.appendingPathComponent("mail")
        try FileManager.default.createDirectory(atPath: storage.path + "/bob@x/cur", withIntermediateDirectories: true)
        try Data("m".utf8).write(to: storage.appendingPathComponent("bob@x/cur/1"))
        let outside = directory.url.appendingPathComponent("outside")
        try Data("o".utf8).write(to: outside)
        try FileManager.default.createSymbolicLink(atPath: storage.path + "/link", withDestinationPath: outside.path)
        let me = ResolvedAccount(name: "me", uid: geteuid(), gid: getegid())
        if geteuid() == 0 {
            let nobody = try ServiceAccount(user: "nobody").resolve()
            #expect(try Privileges.handOver(storage: storage, to: nobody) == 5)
            for path in ["", "/bob@x", "/bob@x/cur", "/bob@x/cur/1", "/link"] {
                var info = stat()
                #expect(lstat(storage.path + path, &info) == 0 && info.st_uid == nobody.uid, "\(path)")
            }
            var info = stat()
            #expect(stat(outside.path, &info) == 0 && info.st_uid == 0)
            #expect(try Privileges.handOver(storage: storage, to: nobody) == 0)
        } else {
            // Not root: handing over to oneself changes nothing and fails nowhere.
            #expect(try Privileges.handOver(storage: storage, to: me) == 0)
        }
    }
}
