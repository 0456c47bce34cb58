import Files
import Foundation

/// `manifest.json` of a checkpoint: each file's size and CRC-32C, written last into the
/// temporary folder (after the files, read back from disk) and before the rename that
/// makes the checkpoint visible, so a checkpoint with a manifest was complete when
/// written and any later change to its bytes is found on load.
///
/// The checksum is CRC-32C (`Files.CRC32C`), not SHA-256: the package has no SHA-256
/// and CRC-32C is what the repository already had. It catches accidental damage
/// (flipped bits, truncation, a partly overwritten file) with probability 1 - 2⁻³²,
/// which is what a resume needs; it is no protection against deliberate tampering.
///
///     {"checksum":"crc32c","files":{"optimizer.safetensors":{"bytes":1234,"crc32c":"1a2b3c4d"},...},"version":1}
struct CheckpointManifest: Codable, Equatable {
    static let fileName = "manifest.json"
    static let currentVersion = 1
    static let algorithm = "crc32c"

    struct Entry: Codable, Equatable {
        var bytes: Int
        /// Eight lowercase hex digits.
        var crc32c: String
    }

    var version = currentVersion
    var checksum = algorithm
    var files: [String: Entry]

    /// The manifest of `names` in `folder`, each read back from disk.
    static func make(folder: URL, names: [String]) throws -> CheckpointManifest {
        var files: [String: Entry] = [:]
        for name in names {
            let (crc, bytes) = try CRC32C.checksum(fileAt: folder.appendingPathComponent(name).path)
            files[name] = Entry(bytes: bytes, crc32c: hex(crc))
        }
        return CheckpointManifest(files: files)
    }

    static func hex(_ crc: UInt32) -> String {
        let digits = String(crc, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
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
    /// lacks, or of its files that is missing, of another size or with another CRC-32C.
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
            let crc: UInt32
            let bytes: Int
            do {
                (crc, bytes) = try CRC32C.checksum(fileAt: path)
            } catch let error as CRC32C.ReadError {
                throw CheckpointError(path: path, reason: "cannot be read: \(error.reason)")
            }
            guard bytes == expected.bytes else {
                throw CheckpointError(
                    path: path,
                    reason: "is damaged: \(bytes) bytes where \(Self.fileName) says \(expected.bytes)"
                        + " (truncated or replaced after the checkpoint was written)")
            }
            guard Self.hex(crc) == expected.crc32c else {
                throw CheckpointError(
                    path: path,
                    reason: "is damaged: its CRC-32C is \(Self.hex(crc)) where \(Self.fileName) says "
                        + "\(expected.crc32c) (its bytes changed after the checkpoint was written)")
            }
        }
    }
}
