import DDPO
import Foundation

/// The server's access to the run's `preferences/` folder. Writes go through this
/// actor one at a time: `PreferenceFolder.record` reads the labels file, adds one
/// label and rewrites the file, so two requests recording at once could each write a
/// file without the other's label. Reads need no such order (files are replaced
/// atomically), so they do not wait behind a write.
actor LabellingStore {
    let folder: PreferenceFolder
    let runName: String

    init(runDirectory: URL) {
        folder = PreferenceFolder(runDirectory: runDirectory)
        runName = runDirectory.standardizedFileURL.lastPathComponent
    }

    /// The path of one image on this server (the page adds the token).
    static func imagePath(epoch: Int, name: String) -> String {
        "/images/\(epoch)/\(name)"
    }

    /// The newest published epoch with its answers so far. Throws the
    /// `PreferenceFileError` of a pairs or labels file that cannot be read.
    nonisolated func state() throws -> LabellingState {
        guard let epoch = try folder.newestEpoch() else {
            return LabellingState(run: runName, epoch: nil, task: nil, required: 0, answered: 0, pairs: [])
        }
        let labels = try folder.labels(epoch: epoch.epoch)
        let pairs = epoch.pairs.map { pair in
            LabellingState.Pair(
                id: pair.id, prompt: pair.prompt,
                images: pair.images.map { Self.imagePath(epoch: epoch.epoch, name: $0) },
                choice: labels[pair.id]?.choice)
        }
        return LabellingState(
            run: runName, epoch: epoch.epoch, task: epoch.task, required: epoch.required,
            answered: pairs.filter { $0.choice != nil }.count, pairs: pairs)
    }

    /// Records one answer for the newest published epoch. Refuses (409) an answer for
    /// another epoch, and (404) a pair the epoch does not have; a refused request
    /// writes nothing. A file that cannot be read or written is a refusal (500) that
    /// names it: `record` reads the labels before it writes, and replaces the file
    /// atomically, so the labels already given stay as they were.
    func record(_ request: LabelRequest) throws -> LabelAnswer {
        let newest: LabellingEpoch?
        do {
            newest = try folder.newestEpoch()
        } catch {
            throw LabellingRefusal(status: 500, message: "\(error)")
        }
        guard let newest else {
            throw LabellingRefusal(
                status: 409,
                message: "pair \(request.pair) belongs to epoch \(request.epoch); the run has published no pairs yet")
        }
        guard request.epoch == newest.epoch else {
            throw LabellingRefusal(
                status: 409,
                message:
                    "pair \(request.pair) belongs to epoch \(request.epoch); the run is labelling epoch \(newest.epoch)"
            )
        }
        let ids = Set(newest.pairs.map(\.id))
        guard ids.contains(request.pair) else {
            let range = newest.pairs.isEmpty ? "it has none" : "its pairs are 0 to \(newest.pairs.count - 1)"
            throw LabellingRefusal(
                status: 404, message: "epoch \(newest.epoch) has no pair \(request.pair): \(range)")
        }
        let label = PairLabel(
            pair: request.pair, choice: request.choice, time: ISO8601DateFormatter().string(from: Date()))
        let labels: [Int: PairLabel]
        do {
            labels = try folder.record(label, epoch: newest.epoch)
        } catch {
            throw LabellingRefusal(status: 500, message: "the label was not recorded: \(error)")
        }
        return LabelAnswer(
            answered: labels.keys.filter { ids.contains($0) }.count, required: newest.required,
            pairs: newest.pairs.count)
    }

    /// The bytes of one of `epoch`'s images, or nil unless `name` is one of the
    /// images its pairs.json lists: only those files are served, whatever the
    /// name holds ("../pairs.json", an encoded "..", another file of the folder).
    nonisolated func image(epoch: Int, name: String) throws -> [UInt8]? {
        // A listed name is a plain file name; checked again so that a pairs.json
        // written by something else cannot point outside the epoch's folder.
        guard epoch >= 0, !name.contains("/"), name != "..", name != ".", let published = try folder.epoch(epoch),
            published.pairs.contains(where: { $0.images.contains(name) })
        else { return nil }
        let url = folder.epochDirectory(epoch).appendingPathComponent(name)
        return FileManager.default.contents(atPath: url.path).map { Array($0) }
    }
}
