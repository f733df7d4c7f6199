import Foundation

/// The stamp: the modification times of new/, cur/ and the uidlist as a scan began, which prove a
/// folder unchanged without listing it, as long as they are old enough to trust and still the same.
extension MaildirFolder {
    /// Whether new/, cur/ or the uidlist may have changed since the last scan (three stats; for polling).
    func directoriesChanged() -> Bool { !stampTrusted || currentStamp() != stamp }

    /// Whether a scan is owed: something may have changed, or our own renames were taken on trust.
    var needsScan: Bool { ownRenamesUnproven || directoriesChanged() }

    /// Our own renames in cur/ (STORE) moved its time; when the stamp held before them, it takes the
    /// new time, so the command's own look, right after, does not list cur/ again (13% of a STORE on
    /// 1,000 of 20,000 messages).
    ///
    /// Another program may have renamed in cur/ at the same moment, which the new time hides: so the
    /// renames stay unproven (`needsScan`) until a scan, which `Mailbox` makes a moment later
    /// (`settle`), and the stamp is not written for the next process meanwhile.
    mutating func noteOwnRenames(stampHeld: Bool) {
        guard stampHeld, stamp.count == 6, let info = POSIX.status(curPath) else { return }
        stamp[2] = Int64(info.st_mtim.tv_sec)
        stamp[3] = Int64(info.st_mtim.tv_nsec)
        ownRenamesUnproven = true
        persistStamp()
    }

    func currentStamp() -> [Int64] {
        [newPath, curPath, path + "/" + UIDList.fileName].flatMap { path -> [Int64] in
            guard let info = POSIX.status(path) else { return [-1, -1] }
            return [Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec)]
        }
    }

    mutating func takeStamp() {
        let now = Date().timeIntervalSince1970
        stamp = currentStamp()
        ownRenamesUnproven = false
        let limit = now - MailStoreDefaults.trustedStampAge
        let old = stride(from: 0, to: stamp.count, by: 2).map {
            Double(stamp[$0]) + Double(stamp[$0 + 1]) / 1e9 < limit
        }
        directoriesTrusted = old.prefix(2).allSatisfy { $0 }
        stampTrusted = old.allSatisfy { $0 }
        persistStamp()
    }

    /// Our own write to the uidlist, under the lock every writer of it takes, moved its time after
    /// the stamp was taken; the change is known, so the stamp takes the new time instead of sending
    /// the next look into a scan of cur/ (on a folder never opened, every command for a tenth of a
    /// second rescanned its thousands of files).
    ///
    /// Another process changes the uidlist only for something it found changed in new/ or cur/ (a
    /// file moved in, added, renamed or removed), which moves their times: so the stamp stays as
    /// trustworthy as those two times are.
    mutating func noteOwnUIDListWrite() {
        guard stamp.count == 6, let info = POSIX.status(path + "/" + UIDList.fileName) else { return }
        stamp[4] = Int64(info.st_mtim.tv_sec)
        stamp[5] = Int64(info.st_mtim.tv_nsec)
        stampTrusted = directoriesTrusted
        persistStamp()
    }

    mutating func persistStamp() {
        // The cache describes the folder as this scan leaves it (every later change moves one of
        // these times), so a trusted stamp is written with it for the next process's `openFromCache`.
        let persisted = stampTrusted && !ownRenamesUnproven ? stamp : nil
        if cache.stamp != persisted {
            cache.stamp = persisted
            cacheDirty = true
        }
    }
}
