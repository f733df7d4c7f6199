import Foundation
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL store is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/SOCKETDIR][&sslmode=…]`,
/// libpq's URL form, so an operator's existing connection string works.
///
/// `host=/dir` in the query selects the Unix socket `/dir/.s.PGSQL.PORT` (as libpq does, `port=` too); `sslmode` is
/// `disable` (the default, for loopback and sockets) or `require` (TLS with the certificate verified
/// against the system's roots: libpq's `verify-full`, also accepted by that name).
public struct PostgresStoreURL: Sendable, Hashable, CustomStringConvertible {
    /// The user name the store logs in as.
    public var user: String
    /// The password, if the URL has one (never printed: see `description`).
    public var password: String?
    /// The server's host name or address (ignored when `socketDirectory` is set).
    public var host: String
    /// The server's port, also part of the Unix socket's name.
    public var port: Int
    /// The database.
    public var database: String
    /// The folder of the server's Unix socket, when the URL asks for the socket.
    public var socketDirectory: String?
    /// Whether the connection must use TLS.
    public var requiresTLS: Bool

    /// Parses `string`; throws `PostgresStoreError.invalidURL` with what is wrong.
    public init(_ string: String) throws {
        guard let components = URLComponents(string: string),
            let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql"
        else { throw PostgresStoreError.invalidURL("expected postgres://USER@HOST[:PORT]/DATABASE") }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") },
            uniquingKeysWith: { _, last in last }
        )
        user = components.user?.removingPercentEncoding ?? "correo"
        password = components.password?.removingPercentEncoding
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        port = components.port ?? query["port"].flatMap { Int($0) } ?? 5432
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 } ?? user
        socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        switch query["sslmode"] ?? "disable" {
        case "disable": requiresTLS = false
        case "require", "verify-full": requiresTLS = true
        case let other:
            throw PostgresStoreError.invalidURL("sslmode=\(other): use disable or require")
        }
        guard (1...65535).contains(port) else { throw PostgresStoreError.invalidURL("port \(port)") }
    }

    /// The URL without its password, for logs and messages.
    public var description: String {
        var text = "postgres://\(user)@\(host):\(port)/\(database)"
        if let socketDirectory { text += "?host=\(socketDirectory)" }
        return text
    }

    /// The client configuration that connects where this URL says.
    var configuration: PostgresClient.Configuration {
        if let socketDirectory {
            return PostgresClient.Configuration(
                unixSocketPath: socketDirectory + "/.s.PGSQL.\(port)",
                username: user,
                password: password,
                database: database
            )
        }
        return PostgresClient.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: requiresTLS ? .require(.makeClientConfiguration()) : .disable
        )
    }

    /// The same place for one connection: the one that checks the URL before the pool starts.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        if let socketDirectory {
            return PostgresConnection.Configuration(
                unixSocketPath: socketDirectory + "/.s.PGSQL.\(port)",
                username: user,
                password: password,
                database: database
            )
        }
        return PostgresConnection.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: requiresTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        )
    }
}
