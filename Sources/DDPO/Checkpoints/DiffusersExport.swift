import DiffusionModels
import Files
import Foundation
import Torch
import TorchNN

/// A run's newest checkpoint as a diffusers pipeline folder: the base model's folder
/// with the UNet's weights replaced by the trained ones (LoRA adapters fused into
/// the layers they adapt), so diffusers' `StableDiffusionPipeline.from_pretrained`,
/// `ddpo sample --model` and a next run load the fine-tuned model like any other.
///
/// Everything but the UNet's weights comes from the base folder unchanged (weight
/// files hard-linked where the file system allows, everything else copied), also
/// files swift-ddpo does not read (a safety checker, the bundled model's recogniser).
/// The folder is written with `AtomicFolder`, so it appears whole or not at all; an
/// existing destination is refused before anything is written.
public enum DiffusersExport {
    /// What was exported: the checkpoint's epoch and kind, and the folder.
    public struct Summary: Equatable, Sendable {
        public var epoch: Int
        public var trainable: String
        public var folder: URL
    }

    /// The file names of UNet weights a diffusers folder may hold (any variant): all
    /// are left out and only `diffusion_pytorch_model.safetensors` is written, so no
    /// reader can pick up the base model's weights instead of the trained ones.
    static func isUNetWeightFile(_ name: String) -> Bool {
        name.hasPrefix("diffusion_pytorch_model") && [".safetensors", ".bin", ".ckpt"].contains { name.hasSuffix($0) }
    }

    /// Exports the checkpoint of `epoch` (default: the newest) of `run` to
    /// `destination`. The base model is the run's `model` (its `config.yaml`) unless
    /// `baseModel` is given.
    @discardableResult
    public static func export(run: URL, to destination: URL, baseModel: URL? = nil, epoch: Int? = nil) throws -> Summary
    {
        let configFile = run.appendingPathComponent("config.yaml")
        guard FileManager.default.fileExists(atPath: configFile.path) else {
            throw CheckpointError(path: run.path, reason: "is not a run folder (no config.yaml)")
        }
        let configuration = try TrainingConfiguration.load(yaml: configFile)
        let store = CheckpointStore(runDirectory: run, kept: configuration.checkpointsKept)
        guard let checkpoint = try epoch.map({ try store.checkpoint(epoch: $0) }) ?? store.latest() else {
            throw CheckpointError(
                path: run.path, reason: "holds no checkpoint yet (one is written every save_freq epochs)")
        }
        let base = baseModel ?? URL(fileURLWithPath: configuration.model)
        guard FileManager.default.fileExists(atPath: base.appendingPathComponent("model_index.json").path) else {
            throw CheckpointError(path: base.path, reason: "is not a diffusers pipeline folder (no model_index.json)")
        }
        guard !FileManager.default.fileExists(atPath: destination.path) else {
            throw CheckpointError(path: destination.path, reason: "already exists; choose another folder or delete it")
        }
        let weights = try trainedUNetWeights(checkpoint: checkpoint, configuration: configuration, base: base)
        try writeFolder(
            base: base, unetWeights: weights, to: destination,
            provenance: [
                "exported_by": "swift-ddpo", "run": run.path, "checkpoint": checkpoint.directory.lastPathComponent,
                "epoch": checkpoint.state.epoch, "trainable": checkpoint.state.trainable, "base_model": base.path
            ])
        return Summary(epoch: checkpoint.state.epoch, trainable: checkpoint.state.trainable, folder: destination)
    }

    /// The base UNet with the checkpoint's weights, by diffusers' names, in float32.
    static func trainedUNetWeights(
        checkpoint: Checkpoint, configuration: TrainingConfiguration,
        base: URL
    ) throws -> [String: Tensor] {
        let unet = try UNet2DConditionModel.load(
            directory: base.appendingPathComponent("unet"), dtype: .float32,
            device: .cpu)
        do {
            switch checkpoint.state.trainable {
            case "lora":
                let lora = configuration.lora
                try applyLoRA(
                    to: unet, targets: Set(lora.targets), rank: lora.rank, alpha: lora.alpha,
                    generator: Generator(seed: 0))
                try unet.loadLoRA(parameters: checkpoint.trainableWeights)
                unet.fuseLoRA()
            case "full":
                try unet.load(parameters: checkpoint.trainableWeights)
            default:
                throw CheckpointError(
                    path: checkpoint.directory.path,
                    reason:
                        "holds '\(checkpoint.state.trainable)' weights (expected lora or full)")
            }
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError(
                path: checkpoint.directory.path,
                reason:
                    "its weights do not fit the UNet of \(base.path): \(error)")
        }
        // Fused adapters live in the base weights now; their own factors are not diffusers' UNet.
        return withNoGrad {
            Dictionary(
                uniqueKeysWithValues: unet.namedParameters()
                    .filter { !$0.name.contains(".lora_A.") && !$0.name.contains(".lora_B.") }
                    .map { ($0.name, $0.tensor.detached().contiguous()) })
        }
    }

    static func writeFolder(
        base: URL, unetWeights: [String: Tensor], to destination: URL,
        provenance: [String: Any]
    ) throws {
        try AtomicFolder.write(to: destination) { temporary in
            try mirror(base, into: temporary, relativePath: "")
            try Safetensors.save(
                unetWeights, to: temporary.appendingPathComponent("unet/diffusion_pytorch_model.safetensors"),
                metadata: ["format": "pt", "exported_by": "swift-ddpo"])
            let data = try JSONSerialization.data(withJSONObject: provenance, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: temporary.appendingPathComponent("ddpo_export.json"))
        }
    }

    /// Recreates `source`'s tree at `target`: folders made, files copied (weight files
    /// hard-linked when possible), the UNet's weight files left out.
    private static func mirror(_ source: URL, into target: URL, relativePath: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: target, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: source.path) {
            let from = source.appendingPathComponent(name)
            let to = target.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            _ = fm.fileExists(atPath: from.path, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                try mirror(from, into: to, relativePath: relativePath.isEmpty ? name : "\(relativePath)/\(name)")
            } else if relativePath == "unet" && isUNetWeightFile(name) {
                continue
            } else if [".safetensors", ".bin"].contains(where: { name.hasSuffix($0) }) {
                // Weights are large and only ever replaced, never edited in place: a hard link is safe.
                do { try fm.linkItem(at: from, to: to) } catch { try fm.copyItem(at: from, to: to) }
            } else {
                // Configurations and vocabularies get edited: a copy, so the base never changes with them.
                try fm.copyItem(at: from, to: to)
            }
        }
    }
}
