import Crypto
import Foundation

/// `manifest.json` of a checkpoint: each file's size and SHA-256, written last into the
/// temporary folder (after the files, read back from disk) and before the rename that
/// makes the checkpoint visible, so a checkpoint with a manifest was complete when
/// written and any later change to its bytes is found on load. `sha256sum` on a file
/// gives the same digest, so a copied run can be checked by hand.
///
///     {"checksum":"sha256","files":{"optimizer.safetensors":{"bytes":1234,"sha256":"9f86d0…"},...},"version":1}
struct CheckpointManifest: Codable, Equatable {
    static let fileName = "manifest.json"
    static let currentVersion = 1
    static let algorithm = "sha256"

    struct Entry: Codable, Equatable {
        var bytes: Int
        /// 64 lowercase hex digits.
        var sha256: String
    }

    var version = currentVersion
    var checksum = algorithm
    var files: [String: Entry]

    /// The manifest of `names` in `folder`, each read back from disk.
    static func make(folder: URL, names: [String]) throws -> CheckpointManifest {
        var files: [String: Entry] = [:]
        for name in names {
            let path = folder.appendingPathComponent(name).path
            let (digest, bytes) = try digest(fileAt: path)
            files[name] = Entry(bytes: bytes, sha256: digest)
        }
        return CheckpointManifest(files: files)
    }

    /// A file's SHA-256 (lowercase hex) and size, read in 4 MiB pieces.
    static func digest(fileAt path: String) throws -> (sha256: String, bytes: Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CheckpointError(path: path, reason: "cannot be read")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var bytes = 0
        while true {
            let piece: Data?
            do {
                piece = try handle.read(upToCount: 4 << 20)
            } catch {
                throw CheckpointError(path: path, reason: "cannot be read: \(error.localizedDescription)")
            }
            guard let piece, !piece.isEmpty else { break }
            hasher.update(data: piece)
            bytes += piece.count
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), bytes)
    }

    /// Reads `folder`'s manifest; nil when it has none (a checkpoint written before
    /// manifests existed).
    static func read(folder: URL) throws -> CheckpointManifest? {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let manifest: CheckpointManifest
        do {
            manifest = try JSONDecoder().decode(CheckpointManifest.self, from: Data(contentsOf: url))
        } catch {
            throw CheckpointError(path: url.path, reason: "unreadable checkpoint manifest (\(error))")
        }
        guard manifest.version == currentVersion, manifest.checksum == algorithm else {
            throw CheckpointError(
                path: url.path,
                reason: "manifest format \(manifest.version) with checksum '\(manifest.checksum)' is not supported")
        }
        return manifest
    }

    /// Throws a `CheckpointError` naming the first file of `required` the manifest
    /// lacks, or of its files that is missing, of another size or with another SHA-256.
    func verify(folder: URL, required: [String]) throws {
        let manifestPath = folder.appendingPathComponent(Self.fileName).path
        for name in required where files[name] == nil {
            throw CheckpointError(path: manifestPath, reason: "does not list \(name)")
        }
        for name in files.keys.sorted() {
            let expected = files[name]!
            let path = folder.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: path) else {
                throw CheckpointError(path: path, reason: "is missing (\(Self.fileName) lists it)")
            }
            let (digest, bytes) = try Self.digest(fileAt: path)
            guard bytes == expected.bytes else {
                throw CheckpointError(
                    path: path,
                    reason: "is damaged: \(bytes) bytes where \(Self.fileName) says \(expected.bytes)"
                        + " (truncated or replaced after the checkpoint was written)")
            }
            guard digest == expected.sha256 else {
                throw CheckpointError(
                    path: path,
                    reason: "is damaged: its SHA-256 is \(digest) where \(Self.fileName) says "
                        + "\(expected.sha256) (its bytes changed after the checkpoint was written)")
            }
        }
    }
}
