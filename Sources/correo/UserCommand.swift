import ArgumentParser

/// `correo user`: manage STORAGE/passwords.txt.
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Add, change, delete or list the users in STORAGE/passwords.txt."
    )
}
