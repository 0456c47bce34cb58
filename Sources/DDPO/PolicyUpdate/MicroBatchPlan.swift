import Torch

/// One micro-batch of the policy update: samples `sampleIndices`, each at its own
/// step `stepIndices[i]`, and for reward-weighted regression the noise of its
/// denoising loss.
struct MicroBatch {
    var sampleIndices: [Int]
    var stepIndices: [Int]
    /// RWR only: the noise added to the final samples, [b, C, H, W].
    var noise: Tensor?
}

/// The micro-batches of one policy update, in training order: for each inner
/// epoch, the samples shuffled, and independently per sample the order in which
/// it visits its steps; train batches of `batchSize` in shuffled order, and for each
/// the first `trainedSteps` of every sample's step order, one micro-batch per step.
///
/// With `pairs` (p3o) the units shuffled are pairs of samples (2k, 2k + 1), which stay
/// together in one micro-batch at one step: `batchSize` then counts samples, two a pair.
///
/// The generator is drawn exactly as a loop over them would draw it: at the start
/// of each inner epoch one permutation of the samples and one of the steps per
/// sample, then (RWR) each micro-batch's noise in turn. The micro-batches can so be
/// handed out in windows (`next(_:)`) and computed on several threads, with the
/// same numbers as one thread computing them one after another.
struct MicroBatchPlan {
    let sampleCount: Int
    let stepCount: Int
    let batchSize: Int
    let trainedSteps: Int
    let innerEpochs: Int
    /// Shape and dtype of the noise to draw per sample (RWR), nil when none is drawn.
    let noiseShape: [Int]?
    let noiseDType: DType
    let generator: Generator
    /// Samples per shuffled unit: 2 with pairs, else 1.
    let unitSize: Int

    private var innerEpoch = 0
    private var batchIndex = 0
    private var step = 0
    private var order: [Int] = []
    private var stepOrders: [[Int]] = []

    init(
        sampleCount: Int, stepCount: Int, batchSize: Int, trainedSteps: Int, innerEpochs: Int,
        noiseShape: [Int]?, noiseDType: DType, generator: Generator, pairs: Bool = false
    ) {
        precondition(
            sampleCount >= 0 && stepCount > 0 && batchSize > 0 && trainedSteps > 0,
            "MicroBatchPlan: steps, batch size and trained steps must be positive")
        unitSize = pairs ? 2 : 1
        precondition(
            sampleCount % unitSize == 0 && batchSize % unitSize == 0,
            "MicroBatchPlan: pairs need even sample counts and batch sizes, got \(sampleCount) and \(batchSize)")
        // Counted in units (samples, or pairs) from here on.
        self.sampleCount = sampleCount / unitSize
        self.stepCount = stepCount
        // No samples (every reward of the epoch dropped as non-finite): no micro-batches.
        self.batchSize = max(1, min(batchSize / unitSize, sampleCount / unitSize))
        self.trainedSteps = trainedSteps
        self.innerEpochs = innerEpochs
        self.noiseShape = noiseShape
        self.noiseDType = noiseDType
        self.generator = generator
    }

    /// Train batches per inner epoch (the last one may be smaller).
    var batchesPerInnerEpoch: Int { (sampleCount + batchSize - 1) / batchSize }

    /// All micro-batches of the update.
    var count: Int { innerEpochs * batchesPerInnerEpoch * trainedSteps }

    /// The next `limit` micro-batches (fewer at the end; none when all are handed out).
    mutating func next(_ limit: Int) -> [MicroBatch] {
        var microBatches: [MicroBatch] = []
        while microBatches.count < limit, let microBatch = next() { microBatches.append(microBatch) }
        return microBatches
    }

    private mutating func next() -> MicroBatch? {
        guard innerEpoch < innerEpochs, sampleCount > 0 else { return nil }
        if batchIndex == 0 && step == 0 {
            order = Tensor.randperm(sampleCount, generator: generator).toArray(Int.self)
            // Row i: the order in which sample order[i] visits its steps.
            stepOrders = (0..<sampleCount).map { _ in Tensor.randperm(stepCount, generator: generator).toArray(Int.self)
            }
        }
        let start = batchIndex * batchSize
        let rows = Array(start..<min(start + batchSize, sampleCount))
        let members = 0..<unitSize
        var microBatch = MicroBatch(
            sampleIndices: rows.flatMap { row in members.map { order[row] * unitSize + $0 } },
            stepIndices: rows.flatMap { row in members.map { _ in stepOrders[row][step] } })
        if let noiseShape {
            microBatch.noise = Tensor.randn(
                [rows.count * unitSize] + noiseShape, dtype: noiseDType, device: generator.device,
                generator: generator)
        }
        step += 1
        if step == trainedSteps {
            step = 0
            batchIndex += 1
            if batchIndex == batchesPerInnerEpoch {
                batchIndex = 0
                innerEpoch += 1
            }
        }
        return microBatch
    }
}
