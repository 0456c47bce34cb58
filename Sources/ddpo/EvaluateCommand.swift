import ArgumentParser
import DDPO
import DiffusionModels
import Foundation
import Rewards
import ShapesWorld

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a model on a file of prompts: one image per prompt from a fixed seed, mean reward.",
        discussion: """
            The same seed and settings draw the same noise, so evaluating a base model and the same model \
            with its trained weights (--run RUN_DIR, or --lora) on prompts it never saw compares them sample \
            for sample.

            Prints each prompt's reward and the mean on stdout, and the mean of every per-sample extra the \
            reward reports (for shapes_alignment, match_all is the recogniser's accuracy: the fraction of \
            images whose shape, colour, count and background all match the prompt). Writes evaluation.png \
            (the grid) and evaluation.json (prompts, rewards, means, seed, grid layout, and the epoch of the \
            run's newest checkpoint with --run or --lora RUN_DIR; 0 for a base model) into --out.
            """)

    @Option(
        help: """
            A diffusers pipeline folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/); \
            default with --run: the run's model.
            """)
    var model: String?

    @Option(
        help:
            "A run folder that trained LoRA adapters (its lora/ is used) or a folder with pytorch_lora_weights.safetensors."
    )
    var lora: String?

    @Option(help: "A run folder: its newest checkpoint's weights are used, LoRA or the whole UNet.")
    var run: String?

    @Option(
        help: """
            Prompts file (one prompt per line; blank lines and lines starting with # are skipped), or the \
            name of a list prompt set when no such file exists: shapes, shapes_held_out, shapes_all, \
            shapes_relations, shapes_relations_sample, shapes_relations_held_out, shapes_compositional, simple_animals, \
            imagenet_animals.
            """)
    var prompts: String

    @Option(
        help:
            "Reward name: jpeg_compressibility, jpeg_incompressibility, shapes_alignment, aesthetic, remote, diversity or parity."
    )
    var reward: String

    @Option(help: "Images per prompt (each from its own noise), for tighter means.")
    var imagesPerPrompt: Int = 1

    @Option(help: "Images sampled at once (the noise depends on it: keep it when comparing models).")
    var batchSize: Int = 16

    @Option(
        name: .customLong("reward-option"),
        help: "A reward option KEY=VALUE, e.g. url=http://127.0.0.1:8000 (repeatable).")
    var rewardOptions: [String] = []

    @Option(help: "Images per row of the grid.")
    var columns: Int = 4

    @Option(help: "Output folder (default: evaluations/<timestamp>).")
    var out: String?

    @OptionGroup var sampling: SamplingArguments

    @OptionGroup var runtime: RuntimeOptions

    /// The rewards and prompt sets the names refer to (the model folder only sets
    /// where the shapes world's recogniser is looked for, not which names exist).
    private var catalogue: Catalogue { .withShapesWorld(model: model ?? "") }

    func validate() throws {
        guard columns > 0 else { throw ValidationError("--columns must be positive") }
        if lora != nil && run != nil { throw ValidationError("give --lora or --run, not both") }
        if model == nil && run == nil {
            throw ValidationError("give --model MODEL_DIR, or --run RUN_DIR (whose config.yaml names its model)")
        }
        guard imagesPerPrompt > 0 else { throw ValidationError("--images-per-prompt must be positive") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        for option in rewardOptions where !option.contains("=") {
            throw ValidationError("--reward-option must be KEY=VALUE, got '\(option)'")
        }
        let rewards = catalogue.rewards.names
        guard rewards.contains(reward) else {
            throw ValidationError("--reward: " + Suggestion.unknownName("reward", reward, valid: rewards))
        }
        if !FileManager.default.fileExists(atPath: prompts) && catalogue.promptSets.list(named: prompts) == nil {
            let sets = listPromptSetNames
            throw ValidationError(
                "--prompts '\(prompts)' is neither a file nor a prompt set"
                    + Suggestion.didYouMean(prompts, among: sets) + " (prompt sets: \(sets.joined(separator: ", ")))")
        }
    }

    /// The prompt sets `--prompts` can name: the plain lists (the generated kinds,
    /// such as counting, have no fixed prompts to evaluate on).
    private var listPromptSetNames: [String] {
        let promptSets = catalogue.promptSets
        return promptSets.names.filter { promptSets.list(named: $0) != nil }
    }

    /// The file's lines, or the named set's list when no such file exists.
    func promptsToEvaluate() throws -> [String] {
        if !FileManager.default.fileExists(atPath: prompts), let list = catalogue.promptSets.list(named: prompts) {
            return list
        }
        return try PromptFile.lines(of: prompts, field: "--prompts")
    }

    func run() async throws {
        let logger = Logs.logger("ddpo.evaluate")
        let (device, dtype) = try runtime.prepare()
        let promptList = try promptsToEvaluate()
            .flatMap { Array(repeating: $0, count: imagesPerPrompt) }
        var options: [String: String] = [:]
        for option in rewardOptions {
            let parts = option.split(separator: "=", maxSplits: 1)
            options[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        // Resolve every path before the (slow) model load, so a typo fails at once.
        if let lora { _ = try RunWeights.loraDirectory(lora, flag: "--lora") }
        // validate() made sure that one of the two is given.
        let modelPath = try model ?? RunWeights.baseModel(ofRun: run ?? "")
        // The model folder decides where the shapes world's recogniser is looked for.
        let scorer = try Catalogue.withShapesWorld(model: modelPath).rewards.make(
            RewardConfiguration(name: reward, options: options))
        let outURL = URL(fileURLWithPath: out ?? "evaluations/\(TrainingConfiguration.timestampRunName())")

        let pipeline = try StableDiffusion.load(
            directory: URL(fileURLWithPath: modelPath), dtype: dtype, device: device,
            variant: sampling.variant)
        // The epoch the weights are from: the run's newest checkpoint (a run's lora/ export is
        // written with each checkpoint); 0 for the base model or a LoRA folder outside a run.
        var epoch = 0
        if let lora {
            epoch = try RunWeights.apply(lora: lora, to: pipeline).epoch
            logger.info("LoRA applied", metadata: ["folder": "\(lora)"])
        }
        if let run {
            let applied = try RunWeights.apply(run: run, to: pipeline)
            epoch = applied.epoch
            logger.info("run's weights loaded", metadata: ["run": "\(run)", "trainable": "\(applied.trainable)"])
        }
        logger.info(
            "sampling",
            metadata: ["prompts": "\(promptList.count)", "steps": "\(sampling.steps)", "seed": "\(sampling.seed)"])
        var (evaluation, images) = try await Evaluation.run(
            model: pipeline, prompts: promptList, seed: sampling.seed,
            options: sampling.options,
            reward: scorer, epoch: epoch, columns: columns, batchSize: batchSize)
        // Not epoch-NNNNNN: this is no epoch of a run, and a run's readers look for that name.
        evaluation.grid = "evaluation.png"
        try evaluation.write(images: images, to: outURL)

        print("reward\tprompt")
        for (prompt, value) in zip(evaluation.prompts, evaluation.rewards) { print("\(value)\t\(prompt)") }
        print("mean reward: \(evaluation.meanReward) over \(evaluation.prompts.count) images")
        for (key, mean) in (evaluation.infoMeans ?? [:]).sorted(by: { $0.key < $1.key }) {
            print("mean \(key): \(mean)")
        }
        if let accuracy = evaluation.infoMeans?["match_all"] {
            let n = Double(evaluation.prompts.count)
            print(
                String(
                    format:
                        "recogniser accuracy (shape, colour, count and background all right): %.1f%% ± %.1f%% (n = %d)",
                    100 * accuracy, 100 * (accuracy * (1 - accuracy) / n).squareRoot(), evaluation.prompts.count))
        }
        print("wrote \(outURL.appendingPathComponent(evaluation.grid).path)")
        print("wrote \(outURL.appendingPathComponent("evaluation.json").path)")
    }
}
