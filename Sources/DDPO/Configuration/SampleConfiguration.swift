import DiffusionModels

extension TrainingConfiguration {
    /// `sample:` how each epoch's trajectories are drawn (docs/algorithm.md §7, step 1).
    public struct Sample: Equatable, Sendable, ConfigurationSection {
        /// `num_steps`: DDIM denoising steps per trajectory. Default 50.
        public var numSteps: Int
        /// `eta`: DDIM noise scale; must be > 0 so every step is Gaussian and has a
        /// log-probability (1.0 = DDPM-like). Default 1.0.
        public var eta: Double
        /// `guidance_scale`: classifier-free guidance weight w (1.0 = none). Default 5.0.
        public var guidanceScale: Double
        /// `batch_size`: trajectories per sampling batch, per device (per process).
        /// Default 1.
        public var batchSize: Int
        /// `num_batches_per_epoch`: sampling batches per epoch, so an epoch draws
        /// batch_size × num_batches_per_epoch samples per device. Default 2.
        public var numBatchesPerEpoch: Int
        /// `height`: image height in pixels, a multiple of 8; null takes the
        /// model's default (UNet sample size × VAE scale factor). Default null.
        public var height: Int?
        /// `width`: image width in pixels, a multiple of 8; null takes the model's
        /// default. Default null.
        public var width: Int?
        /// `pair_shared_noise`: the pairs of p3o and d3po start from one initial
        /// noise x_T (as the D3PO authors' do), so the two images differ only by the
        /// denoising steps' noise. Default false.
        public var pairSharedNoise: Bool

        public init(
            numSteps: Int = 50, eta: Double = 1.0, guidanceScale: Double = 5.0,
            batchSize: Int = 1, numBatchesPerEpoch: Int = 2,
            height: Int? = nil, width: Int? = nil, pairSharedNoise: Bool = false
        ) {
            self.numSteps = numSteps
            self.eta = eta
            self.guidanceScale = guidanceScale
            self.batchSize = batchSize
            self.numBatchesPerEpoch = numBatchesPerEpoch
            self.height = height
            self.width = width
            self.pairSharedNoise = pairSharedNoise
        }

        /// Samples drawn per epoch on one device: batch_size × num_batches_per_epoch.
        public var samplesPerEpoch: Int { batchSize * numBatchesPerEpoch }
    }
}

extension TrainingConfiguration.Sample: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case numSteps = "num_steps"
        case eta
        case guidanceScale = "guidance_scale"
        case batchSize = "batch_size"
        case numBatchesPerEpoch = "num_batches_per_epoch"
        case height
        case width
        case pairSharedNoise = "pair_shared_noise"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = Self()
        numSteps = try c.value(.numSteps, default: d.numSteps)
        eta = try c.value(.eta, default: d.eta)
        guidanceScale = try c.value(.guidanceScale, default: d.guidanceScale)
        batchSize = try c.value(.batchSize, default: d.batchSize)
        numBatchesPerEpoch = try c.value(.numBatchesPerEpoch, default: d.numBatchesPerEpoch)
        height = try c.optionalValue(.height)
        width = try c.optionalValue(.width)
        pairSharedNoise = try c.value(.pairSharedNoise, default: d.pairSharedNoise)
    }

    // Written by hand so that null sizes appear in the saved configuration
    // (`height: null`) instead of vanishing, as synthesized encoding would do.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(numSteps, forKey: .numSteps)
        try c.encode(eta, forKey: .eta)
        try c.encode(guidanceScale, forKey: .guidanceScale)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(numBatchesPerEpoch, forKey: .numBatchesPerEpoch)
        try c.encode(height, forKey: .height)
        try c.encode(width, forKey: .width)
        try c.encode(pairSharedNoise, forKey: .pairSharedNoise)
    }
}

extension TrainingConfiguration.Sample {
    /// How the trainer, its evaluations and its monitors sample: these steps, this
    /// guidance, this eta, at this size.
    var samplingOptions: SamplingOptions {
        SamplingOptions(steps: numSteps, guidanceScale: guidanceScale, eta: eta, height: height, width: width)
    }

    /// How the epochs' training samples are drawn: `samplingOptions`, with each pair
    /// starting from one x_T under `pair_shared_noise` (evaluations and monitors keep
    /// one x_T per image).
    var trainingSamplingOptions: SamplingOptions {
        var options = samplingOptions
        options.samplesPerInitialNoise = pairSharedNoise ? 2 : 1
        return options
    }
}
