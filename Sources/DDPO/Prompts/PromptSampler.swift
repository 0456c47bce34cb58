/// Draws a run's prompts: prompt k of epoch e is a pure function of
/// (seed, e, k), so any batch can be drawn again, on resume or on another
/// process, without replaying the ones before it (see `PromptRandom`).
///
/// Under the "group" advantage strategy every drawn prompt is used for
/// `samplesPerPrompt` consecutive samples of the epoch: sample i gets draw
/// i / samplesPerPrompt. Groups may straddle sampling batches; the advantages
/// group samples by prompt over the whole epoch.
public struct PromptSampler: Sendable {
    public let promptSet: any PromptSet
    public let seed: UInt64
    /// K samples per drawn prompt (1 unless the group strategy is used).
    public let samplesPerPrompt: Int

    public init(promptSet: any PromptSet, seed: UInt64, samplesPerPrompt: Int = 1) {
        precondition(samplesPerPrompt >= 1, "PromptSampler: samplesPerPrompt must be >= 1, got \(samplesPerPrompt)")
        self.promptSet = promptSet
        self.seed = seed
        self.samplesPerPrompt = samplesPerPrompt
    }

    /// The sampler a configuration describes: its prompt set (from `promptSets`), its
    /// seed, and its samples per prompt (`TrainingConfiguration.samplesPerPrompt`).
    public init(configuration: TrainingConfiguration, promptSets: PromptSetRegistry = .standard) throws {
        self.init(
            promptSet: try promptSets.make(configuration.prompt), seed: configuration.seed,
            samplesPerPrompt: configuration.samplesPerPrompt)
    }

    /// The prompt of sample `index` (≥ 0, counted from the start of the epoch).
    public func prompt(epoch: Int, sample index: Int) -> String {
        precondition(index >= 0, "PromptSampler: sample index must be >= 0, got \(index)")
        var random = PromptRandom(seed: seed, epoch: epoch, draw: index / samplesPerPrompt)
        return promptSet.prompt(using: &random)
    }

    /// Prompts of samples first ..< first + count of the epoch.
    public func prompts(epoch: Int, firstSample first: Int, count: Int) -> [String] {
        (first..<(first + count)).map { prompt(epoch: epoch, sample: $0) }
    }

    /// Prompts of sampling batch `batch` (≥ 0) of the epoch, batches of `batchSize`.
    public func prompts(epoch: Int, batch: Int, batchSize: Int) -> [String] {
        prompts(epoch: epoch, firstSample: batch * batchSize, count: batchSize)
    }
}
