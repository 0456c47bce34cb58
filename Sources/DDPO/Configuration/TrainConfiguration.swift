extension TrainingConfiguration {
    /// `train:` the optimisation of each epoch's samples (docs/algorithm.md §7, step 3).
    public struct Train: Equatable, Sendable, ConfigurationSection {
        /// `algorithm`: "ddpo_is" | "ddpo_sf" | "rwr" | "rwr_sparse" | "p3o" | "d3po".
        /// Default "ddpo_is".
        public var algorithm: TrainingAlgorithm
        /// `batch_size`: samples per training minibatch, per device. Default 1.
        public var batchSize: Int
        /// `learning_rate`: AdamW step size. Default 3e-4 (for LoRA; about 1e-5
        /// suits a full fine-tune of SD).
        public var learningRate: Double
        /// `adam_beta1`: AdamW first-moment decay. Default 0.9.
        public var adamBeta1: Double
        /// `adam_beta2`: AdamW second-moment decay. Default 0.999.
        public var adamBeta2: Double
        /// `adam_weight_decay`: AdamW decoupled weight decay. Default 1e-4.
        public var adamWeightDecay: Double
        /// `adam_epsilon`: AdamW denominator epsilon. Default 1e-8.
        public var adamEpsilon: Double
        /// `gradient_accumulation_steps`: minibatches whose gradients are summed
        /// before one optimizer step (effective batch = batch_size × this × devices).
        /// Default 1.
        public var gradientAccumulationSteps: Int
        /// `max_grad_norm`: the gradient's global L2 norm is clipped to this. Default 1.0.
        public var maxGradNorm: Double
        /// `num_inner_epochs`: passes over each epoch's samples (more than 1 only
        /// makes sense for ddpo_is). Default 1.
        public var numInnerEpochs: Int
        /// `cfg`: recompute the UNet output with classifier-free guidance (at
        /// sample.guidance_scale) when re-scoring samples. Default true.
        public var cfg: Bool
        /// `adv_clip_max`: advantages are clipped to ±this. Default 5.
        public var advClipMax: Double
        /// `clip_range`: PPO ratio clip ε for ddpo_is, in the mean-log-prob scale.
        /// Default 1e-4.
        public var clipRange: Double
        /// `timestep_fraction`: fraction in (0, 1] of each trajectory's steps
        /// trained on (floor(num_steps × this), chosen at random per sample).
        /// Default 1.0.
        public var timestepFraction: Double
        /// `rwr_beta`: inverse temperature β of RWR's softmax weights. Default 0.2.
        public var rwrBeta: Double
        /// `rwr_percentile`: in 0...100, the reward percentile above which
        /// rwr_sparse trains on a sample. Default 90.
        public var rwrPercentile: Double
        /// `p3o_clipping`: "separate" (each trajectory's ratio) | "joint" (the ratio
        /// of the pair's ratios), for p3o. Default "separate".
        public var p3oClipping: P3OObjective.Clipping
        /// `dpo_beta`: d3po's β, the inverse temperature of its sigmoid over the
        /// pair's log-ratios to the reference; > 0. Default 0.1 (the D3PO authors').
        public var dpoBeta: Double
        /// `dpo_clip_range`: d3po's ε: each step's ratio p_θ / p_ref is clipped to
        /// 1 ± ε; in (0, 1). Default 0.1 (the D3PO authors').
        public var dpoClipRange: Double
        /// `kl_weight`: weight of the per-step KL penalty ‖μ_θ − μ_ref‖² / (2σ_t²)
        /// (summed over latent elements, `KLPenalty`) toward the frozen pretrained
        /// model, added to every objective's loss; >= 0. Default 0 (off).
        public var klWeight: Double
        /// `pretrain_loss_weight`: weight of the pretraining denoising loss
        /// (`PretrainingLoss`) added at every optimizer step; >= 0. Default 0 (off).
        public var pretrainLossWeight: Double
        /// `pretrain_data`: the data of the pretraining loss, a name of the
        /// catalogue's `pretrainingData` (the shapes world registers "shapes_world");
        /// checked only when the loss is on. Default "shapes_world".
        public var pretrainData: String
        /// `pretrain_batch_size`: images per pretraining-loss batch (one fresh
        /// batch per optimizer step). Default 8.
        public var pretrainBatchSize: Int
        /// `gradient_checkpointing`: during the policy update, the UNet keeps only the
        /// inputs of each ResNet block, transformer and upsampler and recomputes their
        /// activations in the backward pass (`UNet2DConditionModel.gradientCheckpointing`):
        /// less activation memory for about one more UNet forward pass per micro-batch,
        /// bitwise the same training. Sampling is unaffected. Default false.
        public var gradientCheckpointing: Bool

        public init(
            algorithm: TrainingAlgorithm = .ddpoIS, batchSize: Int = 1, learningRate: Double = 3e-4,
            adamBeta1: Double = 0.9, adamBeta2: Double = 0.999, adamWeightDecay: Double = 1e-4,
            adamEpsilon: Double = 1e-8, gradientAccumulationSteps: Int = 1, maxGradNorm: Double = 1.0,
            numInnerEpochs: Int = 1, cfg: Bool = true,
            advClipMax: Double = AdvantageEstimator.defaultAdvClipMax,
            clipRange: Double = PPOObjective.defaultClipRange, timestepFraction: Double = 1.0,
            rwrBeta: Double = RewardWeightedRegression.defaultBeta,
            rwrPercentile: Double = SparseRewardWeightedRegression.defaultPercentile, klWeight: Double = 0,
            pretrainLossWeight: Double = 0, pretrainData: String = "shapes_world",
            pretrainBatchSize: Int = 8, p3oClipping: P3OObjective.Clipping = .separate,
            dpoBeta: Double = D3POObjective.defaultBeta, dpoClipRange: Double = D3POObjective.defaultClipRange,
            gradientCheckpointing: Bool = false
        ) {
            self.algorithm = algorithm
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.adamBeta1 = adamBeta1
            self.adamBeta2 = adamBeta2
            self.adamWeightDecay = adamWeightDecay
            self.adamEpsilon = adamEpsilon
            self.gradientAccumulationSteps = gradientAccumulationSteps
            self.maxGradNorm = maxGradNorm
            self.numInnerEpochs = numInnerEpochs
            self.cfg = cfg
            self.advClipMax = advClipMax
            self.clipRange = clipRange
            self.timestepFraction = timestepFraction
            self.rwrBeta = rwrBeta
            self.rwrPercentile = rwrPercentile
            self.p3oClipping = p3oClipping
            self.dpoBeta = dpoBeta
            self.dpoClipRange = dpoClipRange
            self.klWeight = klWeight
            self.pretrainLossWeight = pretrainLossWeight
            self.pretrainData = pretrainData
            self.pretrainBatchSize = pretrainBatchSize
            self.gradientCheckpointing = gradientCheckpointing
        }

        /// Steps of each trajectory trained on: floor(numSteps × timestep_fraction),
        /// as ddpo-pytorch's `int(num_steps * timestep_fraction)`.
        public func trainedTimesteps(numSteps: Int) -> Int {
            Int((Double(numSteps) * timestepFraction).rounded(.down))
        }
    }
}

extension TrainingConfiguration.Train: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case algorithm
        case batchSize = "batch_size"
        case learningRate = "learning_rate"
        case adamBeta1 = "adam_beta1"
        case adamBeta2 = "adam_beta2"
        case adamWeightDecay = "adam_weight_decay"
        case adamEpsilon = "adam_epsilon"
        case gradientAccumulationSteps = "gradient_accumulation_steps"
        case maxGradNorm = "max_grad_norm"
        case numInnerEpochs = "num_inner_epochs"
        case cfg
        case advClipMax = "adv_clip_max"
        case clipRange = "clip_range"
        case timestepFraction = "timestep_fraction"
        case rwrBeta = "rwr_beta"
        case rwrPercentile = "rwr_percentile"
        case p3oClipping = "p3o_clipping"
        case dpoBeta = "dpo_beta"
        case dpoClipRange = "dpo_clip_range"
        case klWeight = "kl_weight"
        case pretrainLossWeight = "pretrain_loss_weight"
        case pretrainData = "pretrain_data"
        case pretrainBatchSize = "pretrain_batch_size"
        case gradientCheckpointing = "gradient_checkpointing"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = Self()
        algorithm = try c.choice(.algorithm, default: d.algorithm)
        batchSize = try c.value(.batchSize, default: d.batchSize)
        learningRate = try c.value(.learningRate, default: d.learningRate)
        adamBeta1 = try c.value(.adamBeta1, default: d.adamBeta1)
        adamBeta2 = try c.value(.adamBeta2, default: d.adamBeta2)
        adamWeightDecay = try c.value(.adamWeightDecay, default: d.adamWeightDecay)
        adamEpsilon = try c.value(.adamEpsilon, default: d.adamEpsilon)
        gradientAccumulationSteps = try c.value(.gradientAccumulationSteps, default: d.gradientAccumulationSteps)
        maxGradNorm = try c.value(.maxGradNorm, default: d.maxGradNorm)
        numInnerEpochs = try c.value(.numInnerEpochs, default: d.numInnerEpochs)
        cfg = try c.value(.cfg, default: d.cfg)
        advClipMax = try c.value(.advClipMax, default: d.advClipMax)
        clipRange = try c.value(.clipRange, default: d.clipRange)
        timestepFraction = try c.value(.timestepFraction, default: d.timestepFraction)
        rwrBeta = try c.value(.rwrBeta, default: d.rwrBeta)
        rwrPercentile = try c.value(.rwrPercentile, default: d.rwrPercentile)
        p3oClipping = try c.choice(.p3oClipping, default: d.p3oClipping)
        dpoBeta = try c.value(.dpoBeta, default: d.dpoBeta)
        dpoClipRange = try c.value(.dpoClipRange, default: d.dpoClipRange)
        klWeight = try c.value(.klWeight, default: d.klWeight)
        pretrainLossWeight = try c.value(.pretrainLossWeight, default: d.pretrainLossWeight)
        pretrainData = try c.value(.pretrainData, default: d.pretrainData)
        pretrainBatchSize = try c.value(.pretrainBatchSize, default: d.pretrainBatchSize)
        gradientCheckpointing = try c.value(.gradientCheckpointing, default: d.gradientCheckpointing)
    }
}
