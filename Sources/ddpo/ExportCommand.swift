import ArgumentParser
import DDPO
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's checkpoint as a diffusers pipeline folder (the base model with the trained UNet).",
        // The parser would list every option on one line, past the help's width.
        usage: "ddpo export <run-directory> --out <out> [<options>]",
        discussion: """
            The base model's folder (the run's `model`, or --model) with the UNet's weights replaced by the \
            run's: a full fine-tune's weights, or the base weights with the LoRA adapters fused in. diffusers' \
            StableDiffusionPipeline.from_pretrained, `ddpo sample --model` and a next run load it like any \
            other model folder. Other files come from the base (weight files hard-linked when possible); OUT \
            must not exist yet.
            """)

    @Argument(help: "The run folder, e.g. runs/demo.")
    var runDirectory: String

    @Option(help: "The folder to write (must not exist).")
    var out: String

    @Option(help: "The base model folder (default: the run's `model`).")
    var model: String?

    @Option(help: "The epoch of the checkpoint to export (default: the newest; the run keeps `checkpoints_kept`).")
    var epoch: Int?

    func run() throws {
        let summary = try DiffusersExport.export(
            run: URL(fileURLWithPath: runDirectory),
            to: URL(fileURLWithPath: out),
            baseModel: model.map { URL(fileURLWithPath: $0) }, epoch: epoch)
        print("wrote \(summary.folder.path) (epoch \(summary.epoch), \(summary.trainable) weights)")
    }
}
