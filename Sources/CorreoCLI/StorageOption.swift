import ArgumentParser
import CorreoServer
import Foundation

/// `-s` / `--storage`: the storage folder, one option for every command that opens one (serve, smtpd,
/// imapd, user), so that its names, its variable and its default cannot drift apart.
struct StorageOption: ParsableArguments {
    @Option(
        name: [.customShort("s"), .long],
        help: """
            Storage folder: passwords.txt, tls/ and one Maildir per user. \
            [CORREO_STORAGE, default ./\(CorreoConfiguration.defaultStoragePath)]
            """
    )
    var storage: String?

    /// The folder: the flag, else `CORREO_STORAGE`, else the default.
    var url: URL {
        let path = storage ?? environment("STORAGE") ?? CorreoConfiguration.defaultStoragePath
        return URL(fileURLWithPath: path, isDirectory: true)
    }
}
