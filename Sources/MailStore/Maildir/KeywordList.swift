import Foundation

/// The folder's keyword letters, in Dovecot's `dovecot-keywords` file.
///
/// Lines `<index> <keyword>`, index 0 being the letter `a` in Maildir info. Sharing Dovecot's file and letters keeps
/// keywords readable by Dovecot and kept by mutt (which leaves unknown lowercase letters alone).
struct KeywordList {
    static let fileName = "dovecot-keywords"

    let path: String
    private(set) var keywords: [String?] = []
    private var identity: UIDList.FileIdentity?

    init(folder: String) {
        path = folder + "/" + Self.fileName
        try? reload()
    }

    mutating func refreshIfChanged() {
        if UIDList.FileIdentity(path: path) != identity { try? reload() }
    }

    private mutating func reload() throws {
        guard POSIX.fileExists(path) else {
            keywords = []
            identity = nil
            return
        }
        let text = String(decoding: try POSIX.readFile(path), as: UTF8.self)
        var list: [String?] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let index = Int(parts[0]), index >= 0,
                index < MailStoreDefaults.maximumKeywordsPerMailbox
            else { continue }
            while list.count <= index { list.append(nil) }
            list[index] = String(parts[1])
        }
        keywords = list
        identity = UIDList.FileIdentity(path: path)
    }

    /// The keyword for letter index `index`, if defined.
    func keyword(at index: Int) -> String? {
        index < keywords.count ? keywords[index] : nil
    }

    /// The letter index of `keyword` (case-insensitive, RFC 3501 flags are), if it has one.
    func index(of keyword: String) -> Int? {
        let lowered = keyword.lowercased()
        return keywords.firstIndex { $0?.lowercased() == lowered }
    }

    /// The letter index for `keyword`, giving it a free letter and rewriting the file if needed.
    ///
    /// Call under the folder lock after `refreshIfChanged()`.
    mutating func indexAdding(_ keyword: String, folderName: String) throws -> Int {
        if let index = index(of: keyword) { return index }
        let index = keywords.firstIndex { $0 == nil } ?? keywords.count
        guard index < MailStoreDefaults.maximumKeywordsPerMailbox else {
            throw MailStoreError.tooManyKeywords(folderName)
        }
        while keywords.count <= index { keywords.append(nil) }
        keywords[index] = keyword
        var text = ""
        for (position, word) in keywords.enumerated() {
            if let word { text += "\(position) \(word)\n" }
        }
        // Durable: file names already carry the new letter, and a lost file would orphan it.
        try POSIX.writeFileAtomically(path, Array(text.utf8), durable: true)
        identity = UIDList.FileIdentity(path: path)
        return index
    }

    /// RFC 3501 9 `flag-keyword = atom`: no specials, no controls, no spaces, no backslash.
    static func isValid(_ keyword: String) -> Bool { Keyword.isValid(keyword) }
}
