import ArgumentParser
import DDPO
import Foundation
import Pretraining
import ShapesWorld
import Torch

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Pretrain a tiny Stable Diffusion (VAE, then text encoder + UNet) on a procedural world.",
        // The parser would list all eight options on one line, past the help's width.
        usage: "ddpo pretrain [<options>]",
        discussion: """
            Trains on the procedural shapes world and writes a diffusers StableDiffusionPipeline folder \
            that 'ddpo sample' and 'ddpo train' load, plus <out>/recogniser, the CNN the shapes_alignment \
            reward uses.
            """)

    @Option(help: "Output diffusers folder (replaced atomically when done).")
    var out: String = "models/shapes-tiny"

    @Option(help: "VAE training steps (batch 32).")
    var vaeSteps: Int = 1000

    @Option(help: "Text encoder + UNet training steps.")
    var unetSteps: Int = 2400

    @Option(help: "Batch size of the text encoder + UNet steps.")
    var batch: Int = 64

    @Option(help: "Seed of the data stream, initialisation and noise.")
    var seed: UInt64 = 0

    @Option(help: "Recogniser training steps (batch 64); 0 skips it.")
    var recogniserSteps: Int = 1500

    @Flag(help: "Leave the four held-out shape-colour pairs out of the UNet's training data.")
    var excludeHeldOut = false

    @Option(
        help: """
            The world to pretrain on: 'shapes' (one to three shapes of one kind) or 'compositional' \
            (also four shapes and two objects in a spatial relation, and a recogniser with relation \
            heads; --exclude-held-out then also leaves out the ten held-out object pairs).
            """)
    var world: PretrainingWorld = .shapes

    @Option(help: "libtorch intra-op threads (default: libtorch's choice).")
    var threads: Int?

    func validate() throws {
        guard vaeSteps >= 0, unetSteps >= 0, recogniserSteps >= 0 else {
            throw ValidationError("step counts must not be negative")
        }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        if let threads, !(1...TrainingConfiguration.maximumThreads).contains(threads) {
            throw ValidationError("--threads must be 1...\(TrainingConfiguration.maximumThreads), got \(threads)")
        }
    }

    var dataset: PretrainingDataset {
        switch world {
        case .shapes: ShapesWorldDataset(excludingHeldOut: excludeHeldOut)
        case .compositional: ShapesCompositionalDataset(excludingHeldOut: excludeHeldOut)
        }
    }

    func run() throws {
        StandardOutput.lineBuffered()
        if let threads { Runtime.threadCount = threads }
        let settings = PretrainingRun.Settings(
            vae: .init(steps: vaeSteps, seed: seed),
            denoiser: .init(steps: unetSteps, batchSize: batch, seed: seed))
        var phaseStart = Date()
        let output = URL(fileURLWithPath: out)
        try PretrainingRun.run(dataset: dataset, settings: settings, output: output) { event in
            Self.report(event, phaseStart: &phaseStart)
        }
        guard recogniserSteps > 0 else { return }
        let start = Date()
        let progress = { (step: Int, loss: Double) in
            if step % 50 == 0 || step == recogniserSteps {
                print(
                    String(
                        format: "recogniser %d/%d  loss %.4f  %.2f steps/s", step, recogniserSteps, loss,
                        Double(step) / max(Date().timeIntervalSince(start), 1e-9)))
            }
        }
        let folder = output.appendingPathComponent("recogniser")
        let accuracies: any CustomStringConvertible =
            switch world {
            case .shapes:
                try ShapesRecogniser.pretrain(to: folder, steps: recogniserSteps, seed: seed, progress: progress)
                    .accuracies
            case .compositional:
                try ShapesRecogniser.pretrainCompositional(
                    to: folder, steps: recogniserSteps, seed: seed, progress: progress
                ).accuracies
            }
        print("recogniser accuracy on fresh scenes: \(accuracies)")
    }

    /// Prints every 50th step with the phase's average speed so far.
    static func report(_ event: PretrainingRun.Event, phaseStart: inout Date) {
        func speed(_ step: Int) -> Double { Double(step) / max(Date().timeIntervalSince(phaseStart), 1e-9) }
        switch event {
        case .vae(let p) where p.step % 50 == 0 || p.step == p.steps:
            print(
                String(
                    format: "vae %d/%d  mse %.5f  kl %.1f  %.2f steps/s", p.step, p.steps, p.reconstructionLoss,
                    p.klDivergence, speed(p.step)))
        case .scalingFactor(let s):
            print(String(format: "scaling factor %.4f", s))
            phaseStart = Date()
        case .denoiser(let p) where p.step % 50 == 0 || p.step == p.steps:
            print(String(format: "unet %d/%d  loss %.5f  %.2f steps/s", p.step, p.steps, p.loss, speed(p.step)))
        case .saved(let url):
            print("saved \(url.path)")
        default:
            break
        }
    }
}

/// The procedural world `ddpo pretrain` draws its images and captions from.
enum PretrainingWorld: String, ExpressibleByArgument, CaseIterable {
    case shapes
    case compositional
}
