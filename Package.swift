// swift-tools-version:6.0
// correo: SMTP, IMAP and mail merge in one binary. The target graph follows ARCHITECTURE.md:
// dependencies point down the list, the servers never import each other, nor the client the servers.
import PackageDescription

#if os(Linux)
import Glibc
#endif

let package = Package(
    name: "correo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "correo", targets: ["correo"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.0"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // The configuration file (--config correo.toml): TOML 1.0 through toml++.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // The PostgreSQL store (several nodes on one database, ARCHITECTURE.md's "Store backends").
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // libcrypt's crypt_r: SHA512-CRYPT, BLF-CRYPT and yescrypt hashes for passwords.txt.
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt"),
        // statfs(2): which file system a directory is on (ext4's directory positions are hashes).
        .systemLibrary(name: "CFileSystem", path: "Sources/CFileSystem"),
        .target(name: "MailCore"),
        .target(
            name: "SMTPCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // The store's vocabulary and interfaces, below every backend: what the protocol servers may know.
        .target(name: "MailStorage", dependencies: ["MailCore"]),
        .target(
            name: "MailStore",
            dependencies: [
                "MailCore", "MailStorage", "CCrypt", "CFileSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The non-blocking resolver (MX, A/AAAA, TXT, PTR, TLSA) with its own RFC 1035 codec and cache.
        .target(
            name: "DNS",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What every listener shares (connection caps, the failed-login throttle, the refusing handler,
        // the listening sockets); it knows no protocol and no store.
        .target(
            name: "ServerSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The small HTTP/1.1 listener for operators' tools (/metrics, /healthz; later MTA-STS, a web UI):
        // a path router over NIOHTTP1, with ServerSupport's listeners and caps.
        .target(
            name: "HTTPServer",
            dependencies: [
                "ServerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "SMTPServer",
            dependencies: [
                "SMTPCore", "MailCore", "ServerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "SMTPClient",
            dependencies: [
                "SMTPCore", "MailCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Sender authentication (DKIM, SPF, DMARC, Authentication-Results): pure, on DNS for TXT look-ups.
        .target(
            name: "MailAuth",
            dependencies: [
                "MailCore", "DNS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Outbound transport security: RFC 8461 MTA-STS (policy look-up, HTTPS fetch, on-disk cache, MX
        // matching) and RFC 8460 TLS-RPT (result counts, the daily JSON report).
        .target(
            name: "MTASTS",
            dependencies: [
                "DNS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Relay",
            dependencies: [
                "MailCore", "MailStore", "SMTPCore", "SMTPClient", "DNS", "MailAuth", "MTASTS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "IMAPServer",
            dependencies: [
                "MailCore", "MailStore", "ServerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // RFC 3977 reader, RFC 4642 STARTTLS, RFC 4643 AUTHINFO over the store's newsgroups.
        .target(
            name: "NNTPServer",
            dependencies: [
                "MailCore", "MailStore", "ServerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "MailMerge",
            dependencies: [
                "MailCore", "SMTPCore", "SMTPClient",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Ink", package: "Ink"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The PostgreSQL backend of the store: schema migrations, users, mailboxes, chunked message bytes,
        // UIDs under a row lock, flags with MODSEQ. It knows no protocol.
        .target(
            name: "PostgresStore",
            dependencies: [
                "MailCore", "MailStorage", "MailStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CorreoServer",
            dependencies: [
                "SMTPServer", "SMTPCore", "IMAPServer", "NNTPServer", "MailStore", "ServerSupport", "Relay", "DNS",
                "MailAuth",
                "HTTPServer", "MailCore", "MTASTS",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CorreoCLI",
            dependencies: [
                "CorreoServer", "MailMerge", "MailStore", "PostgresStore", "SMTPClient", "SMTPCore", "MailCore",
                "MailAuth",
                "SMTPServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // The binary: CorreoCLI's command and the release linking. No test target depends on it, so that
        // its linker settings stay out of the test bundle (which loads the shared runtime).
        .executableTarget(
            name: "correo", dependencies: ["CorreoCLI"], exclude: ["hot-code.order"], linkerSettings: releaseLinking
        ),
        .target(
            name: "MailTestSupport",
            dependencies: [
                "MailCore", "MailStore", "MailStorage", "PostgresStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/MailTestSupport"
        ),
        .testTarget(name: "MailCoreTests", dependencies: ["MailCore", "MailTestSupport"]),
        .testTarget(name: "SMTPCoreTests", dependencies: ["SMTPCore"]),
        .testTarget(
            name: "ServerSupportTests",
            dependencies: [
                "ServerSupport", "MailTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(name: "MailStoreTests", dependencies: ["MailStore", "MailCore", "MailTestSupport"]),
        .testTarget(
            name: "SMTPServerTests",
            dependencies: [
                "SMTPServer", "SMTPCore", "MailCore", "ServerSupport", "CorreoServer", "MailTestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SMTPClientTests",
            dependencies: [
                "SMTPClient", "SMTPCore", "MailTestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "IMAPServerTests",
            dependencies: [
                "IMAPServer", "NNTPServer", "ServerSupport", "MailTestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "NNTPServerTests",
            dependencies: [
                "NNTPServer", "MailStore", "MailStorage", "PostgresStore", "ServerSupport", "MailTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RelayTests",
            dependencies: ["Relay", "MailTestSupport", "MailAuth", "DNS", "MTASTS", "SMTPClient"]
        ),
        .testTarget(
            name: "MTASTSTests",
            dependencies: [
                "MTASTS", "MailTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["policy_server.py"]
        ),
        .testTarget(
            name: "MailAuthTests",
            dependencies: [
                "MailAuth", "DNS", "MailCore", "MailTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "DNSTests",
            dependencies: [
                "DNS", "MailTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "MailMergeTests", dependencies: ["MailMerge", "SMTPCore", "MailTestSupport"]),
        .testTarget(
            name: "CorreoServerTests",
            dependencies: [
                "CorreoServer", "SMTPServer", "SMTPCore", "MailStore", "MailTestSupport", "MailAuth", "DNS",
                "HTTPServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(name: "CorreoCLITests", dependencies: ["CorreoCLI", "MailTestSupport", "PostgresStore"]),
        .testTarget(name: "PostgresStoreTests", dependencies: ["PostgresStore", "MailStore", "MailTestSupport"]),
        // One suite, every backend: the answers the protocol servers rely on, the same from each store.
        .testTarget(
            name: "MailStorageTests",
            dependencies: ["MailStorage", "MailStore", "PostgresStore", "MailTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

/// The release binary carries the Swift runtime and Foundation inside it, linked by the toolchain's lld:
/// one file to copy to a host without a Swift toolchain; 6 MiB fewer resident pages (ten shared libraries
/// are no longer mapped and relocated at start) and a quarter less CPU to start, which every `correo`
/// command pays (BENCHMARKS.md, seventeenth stop). Relative relocations are packed (DT_RELR) where the C
/// library can load them (glibc 2.36), 3 MiB fewer pages touched at start again. Debug builds stay dynamic,
/// quick to link; CI's release steps (smoke, stress, interop, the lab) run this binary. A test target must
/// never depend on the `correo` target: these settings would reach its test bundle, which loads the shared
/// runtime. The functions a server runs are placed side by side, so that the kernel, which maps code
/// 64 KiB or more at a time around each function called, keeps ~7 MiB fewer pages of it resident
/// (BENCHMARKS.md, eighteenth stop).
var releaseLinking: [LinkerSetting] {
    #if os(Linux)
    var flags = [
        "-static-stdlib", "-use-ld=lld",
        // Foundation's static archives and theirs, which the shared modules the code compiled against
        // do not name: ICU for text encodings, dates and locales.
        "-lFoundation", "-lFoundationInternationalization", "-lFoundationEssentials", "-l_FoundationICU",
        "-l_FoundationCollections", "-l_FoundationCShims", "-lCoreFoundation",
    ]
    if glibcLoadsPackedRelocations {
        flags += ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"]
    }
    // The code the servers run, placed together (scripts/hot-code-order.sh writes the list from a
    // profile); names the code no longer has are skipped without a warning.
    flags += [
        "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/correo/hot-code.order",
        "-Xlinker", "--no-warn-symbol-ordering",
    ]
    return [.unsafeFlags(flags, .when(platforms: [.linux], configuration: .release))]
    #else
    return []
    #endif
}

#if os(Linux)
/// DT_RELR needs glibc 2.36 or later at run time; the binary is built for the machine that builds it.
var glibcLoadsPackedRelocations: Bool {
    var text = [CChar](repeating: 0, count: 64)
    let length = confstr(Int32(_CS_GNU_LIBC_VERSION), &text, text.count)
    guard length > 0, length <= text.count else { return false }
    // "glibc 2.36"
    let version = String(decoding: text.prefix(length - 1).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let parts = version.split(separator: " ").last?.split(separator: ".").compactMap { Int($0) }
    guard let parts, parts.count >= 2 else { return false }
    return (parts[0], parts[1]) >= (2, 36)
}
#endif
