import DDPO
import DiffusionModels
import Foundation

/// A run folder's trained UNet on a loaded pipeline, and the run's base model: what
/// `ddpo sample --run`, `ddpo evaluate --run` and `--lora` load, in one place so that
/// both commands read a run alike.
enum RunWeights {
    /// What was applied: the checkpoint's epoch (0 for a LoRA folder outside a run)
    /// and its kind ("lora" or "full").
    struct Applied {
        var epoch: Int
        var trainable: String
    }

    /// The `model` of the run's config.yaml: the base model the run fine-tuned.
    static func baseModel(ofRun run: String, flag: String = "--run") throws -> String {
        let file = URL(fileURLWithPath: run).appendingPathComponent("config.yaml")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw CommandError("\(flag) \(run): not a run folder (no config.yaml); give --model as well")
        }
        return try TrainingConfiguration.load(yaml: file).model
    }

    /// Applies the newest checkpoint of the run in `run` to `pipeline.unet`, whatever
    /// it trained: a LoRA run's adapters (its lora/ export, written with every
    /// checkpoint) or a full fine-tune's weights (loaded strictly).
    static func apply(run: String, to pipeline: StableDiffusion) throws -> Applied {
        let store = CheckpointStore(runDirectory: URL(fileURLWithPath: run), kept: 1)
        let checkpoint: Checkpoint?
        do {
            checkpoint = try store.latest()
        } catch {
            throw CommandError("--run \(run): the newest checkpoint cannot be read: \(error)")
        }
        guard let checkpoint else {
            throw CommandError(
                "--run \(run): no checkpoint in \(store.directory.path) (one is written every save_freq epochs)")
        }
        if checkpoint.state.trainable == "lora" {
            try LoRAExport.load(into: pipeline.unet, from: try loraDirectory(run, flag: "--run"))
        } else {
            do {
                try pipeline.unet.load(parameters: checkpoint.trainableWeights)
            } catch {
                throw CommandError(
                    "--run \(run): \(checkpoint.directory.path): the weights do not fit the model: \(error)")
            }
        }
        pipeline.unet.eval()
        return Applied(epoch: checkpoint.state.epoch, trainable: checkpoint.state.trainable)
    }

    /// Applies `--lora PATH` (a run folder or a folder holding the LoRA export);
    /// the epoch is the run's newest checkpoint's, 0 outside a run.
    static func apply(lora path: String, to pipeline: StableDiffusion) throws -> Applied {
        let directory = try loraDirectory(path, flag: "--lora")
        try LoRAExport.load(into: pipeline.unet, from: directory)
        pipeline.unet.eval()
        let epoch = try CheckpointStore(runDirectory: URL(fileURLWithPath: path), kept: 1).latestEpoch()
        return Applied(epoch: epoch ?? 0, trainable: "lora")
    }

    /// The folder of the LoRA export for `path`; a run folder that fine-tuned the
    /// whole UNet has none, and is named as what it is, with the flag that loads it.
    static func loraDirectory(_ path: String, flag: String) throws -> URL {
        do {
            return try LoRAExport.directory(forRunOrLoRA: path)
        } catch {
            let checkpoints = URL(fileURLWithPath: path).appendingPathComponent("checkpoints")
            if flag == "--lora" && FileManager.default.fileExists(atPath: checkpoints.path) {
                throw CommandError(
                    "--lora \(path): this run has checkpoints/ but no lora/ folder: it fine-tuned the whole UNet "
                        + "(use_lora: false); load it with --run \(path)")
            }
            throw CommandError("\(flag) \(path): \(error)")
        }
    }
}
