import ArgumentParser
import DDPO
import DiffusionModels
import Foundation
import ImageCodecs
import Torch

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sample images with DDIM and classifier-free guidance; one PNG per prompt.",
        discussion: """
            With the same seed and settings, the images equal diffusers' StableDiffusionPipeline with \
            DDIMScheduler on the CPU (the generator is a CPU generator seeded with --seed). --eta 0 is \
            deterministic DDIM: the seed's initial noise alone decides each image.

            --run RUN_DIR samples with a training run's newest checkpoint (LoRA adapters or the whole UNet) \
            on the run's model, or on --model when given.
            """)

    @Option(
        help: """
            A diffusers pipeline folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/); \
            default with --run: the run's model.
            """)
    var model: String?

    @Option(name: .customLong("prompt"), help: "A prompt; repeat for several images.")
    var prompts: [String]

    @Option(help: "Output folder for the PNGs (created if missing).")
    var out: String

    @Option(
        help:
            "A folder with pytorch_lora_weights.safetensors, or a run folder that trained LoRA adapters, to apply to the UNet."
    )
    var lora: String?

    @Option(
        name: .customLong("run"),
        help: "A run folder: its newest checkpoint's weights are used, LoRA or the whole UNet.")
    var runDirectory: String?

    @Option(help: "no, or bf16: the UNet under autocast to bfloat16 (the weights stay in --dtype, float32).")
    var mixedPrecision: String = MixedPrecision.no.rawValue

    @OptionGroup var sampling: SamplingArguments

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard !prompts.isEmpty else { throw ValidationError("give at least one --prompt") }
        if lora != nil && runDirectory != nil { throw ValidationError("give --lora or --run, not both") }
        if model == nil && runDirectory == nil {
            throw ValidationError("give --model MODEL_DIR, or --run RUN_DIR (whose config.yaml names its model)")
        }
        guard MixedPrecision(rawValue: mixedPrecision) != nil else {
            throw ValidationError(
                "--mixed-precision must be \(MixedPrecision.allCases.map(\.rawValue).joined(separator: " or ")), got '\(mixedPrecision)'"
            )
        }
        let maximumThreads = TrainingConfiguration.maximumThreads
        if let threads = runtime.threads, !(1...maximumThreads).contains(threads) {
            throw ValidationError("--threads must be in 1...\(maximumThreads), got \(threads)")
        }
    }

    func run() throws {
        let logger = Logs.logger("ddpo.sample")
        let (device, dtype) = try runtime.prepare()
        // Resolve every path before the (slow) model load, so a typo fails at once.
        if let lora { _ = try RunWeights.loraDirectory(lora, flag: "--lora") }
        // validate() made sure that one of the two is given.
        let modelURL = URL(fileURLWithPath: try model ?? RunWeights.baseModel(ofRun: runDirectory ?? ""))
        let pipeline = try StableDiffusion.load(
            directory: modelURL, dtype: dtype, device: device, variant: sampling.variant)
        // The steps against this model's scheduler (steps_offset, num_train_timesteps),
        // before any image is drawn.
        do {
            try pipeline.check(sampling.options)
        } catch let error as SamplingOptionsError {
            throw SamplingArguments.validationError(error)
        }
        if let lora {
            _ = try RunWeights.apply(lora: lora, to: pipeline)
        }
        if let runDirectory {
            let applied = try RunWeights.apply(run: runDirectory, to: pipeline)
            logger.info(
                "run's weights loaded",
                metadata: ["run": "\(runDirectory)", "epoch": "\(applied.epoch)", "trainable": "\(applied.trainable)"])
        }
        let outURL = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)
        } catch {
            throw CommandError("cannot create the output folder \(out): \(error.localizedDescription)")
        }
        let progress = ProgressBar(title: "sampling", total: sampling.steps, logger: logger)
        let sampler = TrajectorySampler(
            model: pipeline, autocast: MixedPrecision(rawValue: mixedPrecision)?.autocastDType)
        let trajectory = sampler.sample(
            prompts: prompts, options: sampling.options,
            generator: Generator(seed: sampling.seed)
        ) { done, _ in progress.update(done) }
        for (index, image) in (0..<prompts.count).map({ RGBImage(tensor: trajectory.images[$0]) }).enumerated() {
            let url = outURL.appendingPathComponent("sample_\(index).png")
            try image.writePNG(to: url)
            logger.info("wrote image", metadata: ["file": "\(url.path)", "prompt": "\(prompts[index])"])
        }
    }
}
