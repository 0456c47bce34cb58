/// Running sums of what a policy update measured, per micro-batch (loss, approx KL,
/// clip fraction, KL penalty) and per optimizer step (gradient norm, pretraining
/// loss), turned into means only when read. One accumulator serves an optimizer
/// step, an epoch's update and the sum of several tasks' updates.
public struct UpdateSums: Equatable, Sendable {
    public var loss = 0.0
    public var approxKL = 0.0
    public var clipFraction = 0.0
    public var microBatches = 0
    /// Sum of the KL penalties (before weighting); nil when the penalty is off.
    public var klPenalty: Double?
    public var gradientNorm = 0.0
    /// Sum of the pretraining losses (before weighting); nil when the loss is off.
    public var pretrainLoss: Double?
    public var optimizerSteps = 0

    public init() {}

    mutating func add(_ microBatch: MicroBatchValues) {
        loss += microBatch.loss
        approxKL += microBatch.approxKL
        clipFraction += microBatch.clipFraction
        microBatches += 1
        if let value = microBatch.klPenalty { klPenalty = (klPenalty ?? 0) + value }
    }

    mutating func addOptimizerStep(gradientNorm norm: Double, pretrainLoss value: Double?) {
        gradientNorm += norm
        if let value { pretrainLoss = (pretrainLoss ?? 0) + value }
        optimizerSteps += 1
    }

    /// Per micro-batch values averaged over micro-batches; per step values over steps.
    var meanLoss: Double { loss / Double(max(microBatches, 1)) }
    var meanApproxKL: Double { approxKL / Double(max(microBatches, 1)) }
    var meanClipFraction: Double { clipFraction / Double(max(microBatches, 1)) }
    var meanKLPenalty: Double? { klPenalty.map { $0 / Double(max(microBatches, 1)) } }
    var meanGradientNorm: Double { gradientNorm / Double(max(optimizerSteps, 1)) }
    var meanPretrainLoss: Double? { pretrainLoss.map { $0 / Double(max(optimizerSteps, 1)) } }
}

/// The logged values of one micro-batch.
struct MicroBatchValues {
    var loss: Double
    var approxKL: Double
    var clipFraction: Double
    var klPenalty: Double?
}

/// What one optimizer step saw (means over its micro-batches; the norm before clipping).
public struct OptimizerStepStatistics: Equatable, Sendable {
    public var loss: Double = 0
    public var approxKL: Double = 0
    public var clipFraction: Double = 0
    public var gradientNorm: Double = 0
    public var microBatches: Int = 0
    /// Mean KL to the reference (before weighting); nil when the penalty is off.
    public var klPenalty: Double?
    /// The pretraining loss of this step (before weighting); nil when it is off.
    public var pretrainLoss: Double?

    init(_ sums: UpdateSums) {
        loss = sums.meanLoss
        approxKL = sums.meanApproxKL
        clipFraction = sums.meanClipFraction
        gradientNorm = sums.gradientNorm
        microBatches = sums.microBatches
        klPenalty = sums.meanKLPenalty
        pretrainLoss = sums.pretrainLoss
    }

    public init(
        loss: Double = 0, approxKL: Double = 0, clipFraction: Double = 0, gradientNorm: Double = 0,
        microBatches: Int = 0, klPenalty: Double? = nil, pretrainLoss: Double? = nil
    ) {
        self.loss = loss
        self.approxKL = approxKL
        self.clipFraction = clipFraction
        self.gradientNorm = gradientNorm
        self.microBatches = microBatches
        self.klPenalty = klPenalty
        self.pretrainLoss = pretrainLoss
    }
}

/// What one epoch's update measured (means over micro-batches / optimizer steps),
/// and each optimizer step's own figures.
public struct PolicyUpdateStatistics: Equatable, Sendable {
    /// The sums the means are read from (`combining` adds them).
    public var sums = UpdateSums()
    public var steps: [OptimizerStepStatistics] = []

    public init(sums: UpdateSums = UpdateSums(), steps: [OptimizerStepStatistics] = []) {
        self.sums = sums
        self.steps = steps
    }

    public var loss: Double { sums.meanLoss }
    public var approxKL: Double { sums.meanApproxKL }
    public var clipFraction: Double { sums.meanClipFraction }
    public var gradientNorm: Double { sums.meanGradientNorm }
    public var optimizerSteps: Int { sums.optimizerSteps }
    public var microBatches: Int { sums.microBatches }
    /// Mean over micro-batches of the KL to the reference (before weighting); nil when off.
    public var klPenalty: Double? { sums.meanKLPenalty }
    /// Mean over optimizer steps of the pretraining loss (before weighting); nil when off.
    public var pretrainLoss: Double? { sums.meanPretrainLoss }

    /// The statistics of several updates run one after another, as if one: their sums
    /// added, steps in order. One update's statistics come back unchanged.
    static func combining(_ parts: [PolicyUpdateStatistics]) -> PolicyUpdateStatistics {
        if parts.count == 1 { return parts[0] }
        var total = PolicyUpdateStatistics()
        for part in parts {
            total.sums.loss += part.sums.loss
            total.sums.approxKL += part.sums.approxKL
            total.sums.clipFraction += part.sums.clipFraction
            total.sums.microBatches += part.sums.microBatches
            total.sums.gradientNorm += part.sums.gradientNorm
            total.sums.optimizerSteps += part.sums.optimizerSteps
            total.steps += part.steps
        }
        // A term counts only when every part had it on (tasks share the `train:` section).
        if parts.allSatisfy({ $0.sums.klPenalty != nil }) {
            total.sums.klPenalty = parts.map { $0.sums.klPenalty! }.reduce(0, +)
        }
        if parts.allSatisfy({ $0.sums.pretrainLoss != nil }) {
            total.sums.pretrainLoss = parts.map { $0.sums.pretrainLoss! }.reduce(0, +)
        }
        return total
    }
}
