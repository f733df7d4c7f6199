import ArgumentParser
import Foundation
import Logging
import MailStore

#if canImport(Glibc)
import Glibc
#endif

/// `correo user`: manage STORAGE/passwords.txt, or a PostgreSQL store's users (`--store`).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Add, change, delete or list the users in STORAGE/passwords.txt or a PostgreSQL store.",
        discussion: """
            Passwords are stored as {SHA512-CRYPT} hashes (Dovecot's passwd-file format); plain lines of the
            original correo (email:password) keep working until changed with `correo user passwd`.
            With --store postgres://… (or CORREO_STORE) the commands change that database's users instead; \
            there `del` removes the user's mailboxes and messages too.
            Example: echo 'secret' | correo user add alice@example.com --password-stdin -s ./mail
            """,
        subcommands: [Add.self, Passwd.self, Del.self, List.self]
    )

    /// How a password is obtained: one line of standard input, or typed twice at the terminal.
    struct PasswordOptions: ParsableArguments {
        @Flag(help: "Read the password from the first line of standard input instead of prompting.")
        var passwordStdin = false

        func password(for address: String) throws -> String {
            if passwordStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw UserCommandError("no password on standard input")
                }
                return line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            let first = try Terminal.readSecret(prompt: "Password for \(address): ")
            let second = try Terminal.readSecret(prompt: "Again: ")
            guard first == second else { throw UserCommandError("the two passwords differ; nothing changed") }
            guard !first.isEmpty else { throw UserCommandError("the password is empty; nothing changed") }
            return first
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user and create their Maildir (or their mailboxes in the PostgreSQL store)."
        )

        @Argument(help: "The user's mail address.") var address: String
        @OptionGroup var options: StorageOption
        @OptionGroup var database: UserStoreOption
        @OptionGroup var passwordOptions: PasswordOptions

        func run() async throws {
            if let url = try database.postgresURL() {
                let password = try reportingErrors { try passwordOptions.password(for: address) }
                try await UserStoreOption.withUsers(at: url) { users in
                    let user = try MailStore.normalizedUser(address)
                    try await users.addUser(user, password: password)
                    print("added \(user) to \(url)")
                }
                return
            }
            try reportingErrors {
                let store = options.store
                _ = try store.userDirectory(for: address)
                guard try !store.users.list().contains(address.lowercased()) else {
                    throw MailStoreError.userExists(address.lowercased())
                }
                let password = try passwordOptions.password(for: address)
                try keepingStorageOwner(options.url) {
                    try store.users.add(address, password: password)
                    try store.createUserMaildir(address)
                }
                print("added \(address.lowercased()) to \(store.users.file.path)")
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user's password.")

        @Argument(help: "The user's mail address.") var address: String
        @OptionGroup var options: StorageOption
        @OptionGroup var database: UserStoreOption
        @OptionGroup var passwordOptions: PasswordOptions

        func run() async throws {
            if let url = try database.postgresURL() {
                let password = try reportingErrors { try passwordOptions.password(for: address) }
                try await UserStoreOption.withUsers(at: url) { users in
                    try await users.setPassword(address, password: password)
                    print("changed the password of \(address.lowercased())")
                }
                return
            }
            try reportingErrors {
                let store = options.store
                guard try store.users.list().contains(address.lowercased()) else {
                    throw MailStoreError.userNotFound(address.lowercased())
                }
                let password = try passwordOptions.password(for: address)
                try keepingStorageOwner(options.url) { try store.users.setPassword(address, password: password) }
                print("changed the password of \(address.lowercased())")
            }
        }
    }

    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: """
                Remove a user from passwords.txt (their Maildir stays; delete it yourself if you wish), or \
                from the PostgreSQL store with their mailboxes and messages.
                """
        )

        @Argument(help: "The user's mail address.") var address: String
        @OptionGroup var options: StorageOption
        @OptionGroup var database: UserStoreOption

        func run() async throws {
            if let url = try database.postgresURL() {
                try await UserStoreOption.withUsers(at: url) { users in
                    try await users.removeUser(address)
                    print("removed \(address.lowercased()) with their mailboxes and messages")
                }
                return
            }
            try reportingErrors {
                let store = options.store
                try keepingStorageOwner(options.url) { try store.users.remove(address) }
                print("removed \(address.lowercased()); mail stays in \(try store.userDirectory(for: address).path)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users, one address a line.")

        @OptionGroup var options: StorageOption
        @OptionGroup var database: UserStoreOption

        func run() async throws {
            if let url = try database.postgresURL() {
                try await UserStoreOption.withUsers(at: url) { users in
                    for user in try await users.listUsers() { print(user) }
                }
                return
            }
            try reportingErrors {
                for user in try options.store.users.list() { print(user) }
            }
        }
    }
}

/// A message for the person at the terminal.
struct UserCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Prints store errors as one line on standard error and exits 1, without a stack trace or usage text.
private func reportingErrors<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as MailStoreError {
        printError("correo user: \(error.description)")
        throw ExitCode.failure
    } catch let error as UserCommandError {
        printError("correo user: \(error.description)")
        throw ExitCode.failure
    }
}

/// Reading a password from the controlling terminal with echo turned off.
enum Terminal {
    static func readSecret(prompt: String) throws -> String {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            throw UserCommandError("no terminal to ask for a password; use --password-stdin")
        }
        defer { close(fd) }
        var original = termios()
        guard tcgetattr(fd, &original) == 0 else {
            throw UserCommandError("cannot turn off echo on the terminal; use --password-stdin")
        }
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        silent.c_lflag |= tcflag_t(ECHONL)
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        tcsetattr(fd, TCSAFLUSH, &silent)
        defer { tcsetattr(fd, TCSAFLUSH, &original) }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            if byte != UInt8(ascii: "\r") { bytes.append(byte) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension StorageOption {
    /// The store in the folder, logging only errors (the `user` commands speak for themselves).
    var store: MailStore {
        var logger = Logger(label: "correo.user")
        logger.logLevel = .error
        return MailStore(root: url, logger: logger)
    }
}
