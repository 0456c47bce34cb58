import DiffusionModels
import Foundation
import Logging
import Torch

/// Checks and parts the trainer's initialiser needs.
extension Trainer {
    /// A fresh run must not start in the folder of another: its metrics would mix
    /// with the old ones and a later resume could pick up the old run's checkpoint.
    static func checkUnused(runDirectory: URL, checkpoints: CheckpointStore) throws {
        let metrics = runDirectory.appendingPathComponent("metrics.jsonl")
        guard try checkpoints.checkpoints().isEmpty && !FileManager.default.fileExists(atPath: metrics.path) else {
            throw ConfigurationError(
                field: "run_name",
                message:
                    "the run folder '\(runDirectory.path)' already holds a run: continue it with"
                    + " --resume \(runDirectory.path), or choose another run_name (or delete the folder)")
        }
    }

    /// LoRA: the adapters switched off. Full fine-tuning: the initial UNet loaded a
    /// second time from the model folder and frozen (on resume too, so the reference
    /// stays the pretrained model); it doubles the UNet's parameter memory.
    static func klReference(for model: StableDiffusion, configuration: TrainingConfiguration) throws -> KLReference {
        if configuration.useLoRA { return .adaptersOff }
        let unet = try UNet2DConditionModel.load(
            directory: URL(fileURLWithPath: configuration.model).appendingPathComponent("unet"),
            dtype: model.dtype, device: model.device)
        unet.freeze()
        unet.eval()
        return .frozenCopy(
            TrajectorySampler(
                model: StableDiffusion(
                    tokenizer: model.tokenizer, textEncoder: model.textEncoder, unet: unet, vae: model.vae,
                    scheduler: model.scheduler, device: model.device, dtype: model.dtype, directory: model.directory),
                autocast: configuration.mixedPrecision.autocastDType))
    }

    /// Workers × intra-op threads beyond the cores is not an error (it still trains,
    /// bitwise the same), but the threads would wait on each other: said once.
    static func warnIfOversubscribed(workers: Int, logger: Logger) {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard workers > 1 && workers * Runtime.threadCount > cores else { return }
        logger.warning(
            "workers × intra-op threads exceed the cores; set threads to 1 (or cores / workers)",
            metadata: ["workers": "\(workers)", "threads": "\(Runtime.threadCount)", "cores": "\(cores)"])
    }
}
