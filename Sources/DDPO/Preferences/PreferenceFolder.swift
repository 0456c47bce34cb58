import Files
import Foundation

/// A person's answer for one pair of images of one prompt.
public enum PairChoice: String, Codable, CaseIterable, Sendable {
    /// The first image is better.
    case first
    /// The second image is better.
    case second
    /// Neither is better: the pair trains with equal rewards (no gradient from it).
    case equal
    /// Not judged: the pair is left out of the epoch's update.
    case skip
}

/// One line of `preferences/epoch-N.jsonl`.
public struct PairLabel: Codable, Equatable, Sendable {
    /// The pair's index in its epoch (`LabellingPair.id`).
    public var pair: Int
    public var choice: PairChoice
    /// When it was given, ISO 8601 (informational).
    public var time: String?

    public init(pair: Int, choice: PairChoice, time: String? = nil) {
        self.pair = pair
        self.choice = choice
        self.time = time
    }
}

/// One pair offered for labelling: two images of one prompt (samples 2k and 2k + 1
/// of the epoch), with a checksum of each PNG so that a resumed run can tell whether
/// it re-sampled the same images.
public struct LabellingPair: Codable, Equatable, Sendable {
    public var id: Int
    public var prompt: String
    /// PNG file names in the epoch's folder: the first image, then the second.
    public var images: [String]
    /// CRC32C of each PNG, hex.
    public var checksums: [String]
}

/// `preferences/epoch-N/pairs.json`: what the trainer asks a person to label for one
/// epoch, and how many answers (`skip` included) it waits for.
public struct LabellingEpoch: Codable, Equatable, Sendable {
    public var epoch: Int
    /// The task whose samples these are.
    public var task: String
    public var pairs: [LabellingPair]
    /// Answers the trainer waits for before it trains (ceil(share × pairs)).
    public var required: Int
}

/// What went wrong reading or writing a run's preference files; names the file.
public struct PreferenceFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// The `preferences/` folder of a run: for each epoch that asks for human labels,
/// `epoch-N/` (its pairs' PNGs and `pairs.json`, written by the trainer) and
/// `epoch-N.jsonl` (one `PairLabel` per answered pair, written by `ddpo label`).
/// Both are replaced atomically, so a reader never sees half a file, and the trainer
/// (which only reads the labels) and the labelling server (their only writer) can
/// run as separate processes and be killed at any moment.
public struct PreferenceFolder: Sendable {
    public let directory: URL

    public init(runDirectory: URL) {
        directory = runDirectory.appendingPathComponent("preferences")
    }

    public func epochDirectory(_ epoch: Int) -> URL {
        directory.appendingPathComponent("epoch-\(epoch)")
    }

    public func labelsFile(_ epoch: Int) -> URL {
        directory.appendingPathComponent("epoch-\(epoch).jsonl")
    }

    /// The published epochs, ascending.
    public func publishedEpochs() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("epoch-"), let epoch = Int(name.dropFirst("epoch-".count)),
                FileManager.default.fileExists(
                    atPath: epochDirectory(epoch).appendingPathComponent("pairs.json").path)
            else { return nil }
            return epoch
        }.sorted()
    }

    /// The newest published epoch: the one a labelling page shows.
    public func newestEpoch() throws -> LabellingEpoch? {
        guard let epoch = publishedEpochs().last else { return nil }
        return try self.epoch(epoch)
    }

    /// The pairs of `epoch`, nil when none were published.
    public func epoch(_ epoch: Int) throws -> LabellingEpoch? {
        let url = epochDirectory(epoch).appendingPathComponent("pairs.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(LabellingEpoch.self, from: data)
        } catch {
            throw PreferenceFileError(path: url.path, reason: "not a pairs file: \(error)")
        }
    }

    /// Publishes an epoch's pairs (PNG bytes of the first and second image, and the
    /// prompt of each). When the same pairs (same checksums) are already there, as
    /// after a resume that re-sampled the epoch, nothing changes and the labels given
    /// are kept; when different ones are, their labels file is moved aside
    /// (`epoch-N.jsonl.replaced-<seconds>`), not lost. Returns true when labels were kept.
    @discardableResult
    public func publish(
        epoch: Int, task: String, pairs: [(prompt: String, first: [UInt8], second: [UInt8])], required: Int
    ) throws -> Bool {
        let entries = pairs.enumerated().map { index, pair in
            LabellingPair(
                id: index, prompt: pair.prompt,
                images: [Self.imageName(pair: index, side: 0), Self.imageName(pair: index, side: 1)],
                checksums: [Self.checksum(pair.first), Self.checksum(pair.second)])
        }
        let published = LabellingEpoch(epoch: epoch, task: task, pairs: entries, required: required)
        if let existing = try? self.epoch(epoch), existing.pairs == entries, existing.task == task {
            if existing.required != required { try writePairsFile(published) }
            return true
        }
        let labels = labelsFile(epoch)
        if FileManager.default.fileExists(atPath: labels.path) {
            let aside = labels.path + ".replaced-\(Int(Date().timeIntervalSince1970))"
            do {
                try FileManager.default.moveItem(atPath: labels.path, toPath: aside)
            } catch {
                throw PreferenceFileError(path: labels.path, reason: "cannot move aside: \(error)")
            }
        }
        let folder = epochDirectory(epoch)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try AtomicFolder.write(to: folder) { temporary in
                for (index, pair) in pairs.enumerated() {
                    for (side, bytes) in [pair.first, pair.second].enumerated() {
                        try AtomicFile.write(
                            path: temporary.appendingPathComponent(Self.imageName(pair: index, side: side)).path,
                            bytes: bytes)
                    }
                }
                try AtomicFile.write(
                    path: temporary.appendingPathComponent("pairs.json").path, bytes: try Self.encode(published))
            }
        } catch let error as PreferenceFileError {
            throw error
        } catch {
            throw PreferenceFileError(path: folder.path, reason: "cannot write: \(error)")
        }
        return false
    }

    private func writePairsFile(_ published: LabellingEpoch) throws {
        let url = epochDirectory(published.epoch).appendingPathComponent("pairs.json")
        do {
            try AtomicFile.write(path: url.path, bytes: try Self.encode(published))
        } catch {
            throw PreferenceFileError(path: url.path, reason: "cannot write: \(error)")
        }
    }

    /// The labels given for `epoch`, by pair (the last line for a pair wins); empty
    /// when there is no file yet. A malformed line is an error naming its number.
    public func labels(epoch: Int) throws -> [Int: PairLabel] {
        let url = labelsFile(epoch)
        guard let data = FileManager.default.contents(atPath: url.path) else { return [:] }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PreferenceFileError(path: url.path, reason: "not UTF-8 text")
        }
        var labels: [Int: PairLabel] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            do {
                let label = try JSONDecoder().decode(PairLabel.self, from: Data(trimmed.utf8))
                labels[label.pair] = label
            } catch {
                throw PreferenceFileError(path: url.path, reason: "line \(number + 1) is not a label: \(error)")
            }
        }
        return labels
    }

    /// Adds (or replaces) one label of `epoch` and rewrites its file atomically, one
    /// line per pair in pair order; returns all of the epoch's labels. The caller
    /// serialises calls (one labelling server per run).
    @discardableResult
    public func record(_ label: PairLabel, epoch: Int) throws -> [Int: PairLabel] {
        var labels = try self.labels(epoch: epoch)
        labels[label.pair] = label
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = ""
        for pair in labels.keys.sorted() {
            guard let line = String(data: try encoder.encode(labels[pair]!), encoding: .utf8) else { continue }
            text += line + "\n"
        }
        let url = labelsFile(epoch)
        do {
            try AtomicFile.write(path: url.path, bytes: Array(text.utf8))
        } catch {
            throw PreferenceFileError(path: url.path, reason: "cannot write: \(error)")
        }
        return labels
    }

    static func imageName(pair: Int, side: Int) -> String {
        "pair-\(String(format: "%04d", pair))-\(side == 0 ? "first" : "second").png"
    }

    static func checksum(_ bytes: [UInt8]) -> String {
        String(format: "%08x", CRC32C.checksum(bytes))
    }

    private static func encode(_ epoch: LabellingEpoch) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(epoch))
    }
}
