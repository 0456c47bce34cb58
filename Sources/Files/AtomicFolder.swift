import Foundation

/// Writes a folder so that readers see either the old folder or the complete new
/// one: `body` fills a temporary sibling, which is then renamed into place (a folder
/// already there is moved aside first and removed after). When anything fails, the
/// temporary folder is removed and the target is left as it was.
public enum AtomicFolder {
    public static func write(to directory: URL, _ body: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let temporary = parent.appendingPathComponent(".\(directory.lastPathComponent).tmp-\(getpid())")
        try? fm.removeItem(at: temporary)
        try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        do {
            try body(temporary)
            var previous: URL?
            if fm.fileExists(atPath: directory.path) {
                let old = parent.appendingPathComponent(".\(directory.lastPathComponent).old-\(getpid())")
                try? fm.removeItem(at: old)
                try fm.moveItem(at: directory, to: old)
                previous = old
            }
            try fm.moveItem(at: temporary, to: directory)
            if let previous { try? fm.removeItem(at: previous) }
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
    }
}
