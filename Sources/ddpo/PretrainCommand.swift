import ArgumentParser
import Foundation
import Pretraining
import Torch

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Pretrain a tiny Stable Diffusion (VAE, then text encoder + UNet) on a procedural world.",
        discussion: """
            Writes a diffusers StableDiffusionPipeline folder that 'ddpo sample' and 'ddpo train' load.
            The world is a stand-in of solid colour squares until the shapes world is wired in
            (see `world` below).
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

    @Option(help: "libtorch intra-op threads (default: libtorch's choice).")
    var threads: Int?

    func validate() throws {
        guard vaeSteps >= 0, unetSteps >= 0 else { throw ValidationError("step counts must not be negative") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
    }

    /// The data source. The lead plugs the shapes world in here (any PretrainingDataset).
    var world: PretrainingDataset { SolidColorDataset() }

    func run() throws {
        if let threads { Runtime.threadCount = threads }
        let settings = PretrainingRun.Settings(
            vae: .init(steps: vaeSteps, seed: seed),
            denoiser: .init(steps: unetSteps, batchSize: batch, seed: seed))
        var phaseStart = Date()
        try PretrainingRun.run(dataset: world, settings: settings, output: URL(fileURLWithPath: out)) { event in
            Self.report(event, phaseStart: &phaseStart)
        }
    }

    /// Prints every 50th step with the phase's average speed so far.
    static func report(_ event: PretrainingRun.Event, phaseStart: inout Date) {
        func speed(_ step: Int) -> Double { Double(step) / max(Date().timeIntervalSince(phaseStart), 1e-9) }
        switch event {
        case .vae(let p) where p.step % 50 == 0 || p.step == p.steps:
            print(String(format: "vae %d/%d  mse %.5f  kl %.1f  %.2f steps/s", p.step, p.steps, p.reconstructionLoss,
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
