import ArgumentParser
import DiffusionModels

/// The sampling options `sample` and `evaluate` share.
struct SamplingArguments: ParsableArguments {
    @Option(help: "DDIM steps.")
    var steps: Int = 50

    @Option(help: "Classifier-free guidance weight (1 turns guidance off).")
    var guidance: Double = 5.0

    @Option(
        help:
            "DDIM eta, the noise scale in [0, 1]: 1 is DDPM-like, 0 deterministic DDIM (the initial noise alone decides the image)."
    )
    var eta: Double = 1.0

    @Option(help: "Seed of the CPU generator that draws all noise.")
    var seed: UInt64 = 0

    @Option(help: "Weights variant to load, e.g. fp16 for *.fp16.safetensors.")
    var variant: String?

    func validate() throws {
        // Unlike training, drawing images needs no log-probability: eta 0 is allowed here
        // (SamplingOptions.validate refuses what is outside [0, 1]).
        do {
            try options.validate()
        } catch let error as SamplingOptionsError {
            throw Self.validationError(error)
        }
    }

    /// The flag an option of `SamplingOptions` comes from.
    static func flag(_ field: String) -> String {
        switch field {
        case "guidance_scale": return "--guidance"
        default: return "--\(field)"
        }
    }

    /// A `SamplingOptionsError` (from `SamplingOptions.validate` or
    /// `StableDiffusion.check`) with the flag's name.
    static func validationError(_ error: SamplingOptionsError) -> ValidationError {
        ValidationError("\(flag(error.field)) \(error.message)")
    }

    var options: SamplingOptions { SamplingOptions(steps: steps, guidanceScale: guidance, eta: eta) }
}
