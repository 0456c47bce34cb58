import ArgumentParser
import DiffusionModels

/// The sampling options `sample` and `evaluate` share.
struct SamplingArguments: ParsableArguments {
    @Option(help: "DDIM steps.")
    var steps: Int = 50

    @Option(help: "Classifier-free guidance weight (1 turns guidance off).")
    var guidance: Double = 5.0

    @Option(help: "DDIM eta (noise scale), > 0.")
    var eta: Double = 1.0

    @Option(help: "Seed of the CPU generator that draws all noise.")
    var seed: UInt64 = 0

    @Option(help: "Weights variant to load, e.g. fp16 for *.fp16.safetensors.")
    var variant: String?

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive") }
        guard eta > 0 else { throw ValidationError("--eta must be positive (DDPO's policy is stochastic)") }
    }

    var options: SamplingOptions { SamplingOptions(steps: steps, guidanceScale: guidance, eta: eta) }
}
