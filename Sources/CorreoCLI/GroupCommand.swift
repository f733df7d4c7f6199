import ArgumentParser
import Foundation
import MailCore
import MailStore

/// `correo group`: the newsgroups served over NNTP (STORAGE/news/, or the database with `--store`).
struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "Add, delete or list the newsgroups (served over NNTP and IMAP's #news.).",
        discussion: """
            A group is a Maildir STORAGE/news/NAME/ whose UIDs are its article numbers; groups.json lists \
            them. With --store postgres://… the groups are in the database, shared by every node of \
            `correo serve --store`. Mail that SMTP accepts for a group's --address is archived in the group.
            Example: correo group add lists.dev --description 'Developers' --address dev@example.com -s ./mail
            """,
        subcommands: [Add.self, Del.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a newsgroup.")

        @Argument(help: "The group's name: lower-case letters, digits, '+', '-', '_', levels joined by '.'.")
        var name: String
        @Option(help: "The one-line description shown by LIST NEWSGROUPS.") var description = ""
        @Option(help: "Archive mail that SMTP accepts for this address (LIST@DOMAIN) in the group.")
        var address: String?
        @Flag(help: "Refuse posting (POST gets 441; LIST ACTIVE shows status n).") var readOnly = false
        @OptionGroup var options: BackendStoreOption

        func run() async throws {
            try await reportingGroupErrors {
                if let address, EmailAddress.split(address).map({ $0.isEmpty || $1.isEmpty }) ?? true {
                    throw UserCommandError("--address needs LIST@DOMAIN")
                }
                let group = Newsgroup(
                    name: name,
                    description: description,
                    address: address?.lowercased(),
                    readOnly: readOnly,
                    creator: ProcessInfo.processInfo.environment["USER"] ?? "correo"
                )
                try await options.withBackend(command: "group") { try await $0.addNewsgroup(group) }
                // The folder's owner is read before and given what was written (here, after the fact).
                if !options.usesDatabase { try keepingStorageOwner(options.storage.url) {} }
                print("added newsgroup \(name)" + (address.map { " for mail to \($0.lowercased())" } ?? ""))
            }
        }
    }

    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a newsgroup and its articles.")

        @Argument(help: "The group's name.") var name: String
        @OptionGroup var options: BackendStoreOption

        func run() async throws {
            try await reportingGroupErrors {
                try await options.withBackend(command: "group") { try await $0.deleteNewsgroup(name) }
                print("deleted newsgroup \(name)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the newsgroups: name, posting (y) or read-only (n), address, description."
        )

        @OptionGroup var options: BackendStoreOption

        func run() async throws {
            try await reportingGroupErrors {
                try await options.withBackend(command: "group") { backend in
                    for group in try await backend.newsgroups() {
                        print(
                            [group.name, group.readOnly ? "n" : "y", group.address ?? "-", group.description]
                                .joined(separator: "\t")
                        )
                    }
                }
            }
        }
    }
}

private func reportingGroupErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as MailStoreError {
        printError("correo group: \(error.description)")
        throw ExitCode.failure
    } catch let error as UserCommandError {
        printError("correo group: \(error.description)")
        throw ExitCode.failure
    }
}
