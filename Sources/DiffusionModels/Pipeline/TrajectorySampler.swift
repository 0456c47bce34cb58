import Foundation
import Schedulers
import Torch

/// Settings of one sampling run.
public struct SamplingOptions: Equatable, Sendable {
    /// DDIM steps.
    public var steps: Int = 50
    /// Classifier-free guidance weight w (eps = eps_u + w (eps_c - eps_u)); 1 or less turns guidance off.
    public var guidanceScale: Double = 5.0
    /// DDIM noise scale in [0, 1]: DDPO's policy needs > 0 (a stochastic step has a
    /// log-probability); 0 is deterministic DDIM, for drawing images only.
    public var eta: Double = 1.0
    /// Image height and width in pixels; nil for the model's default.
    public var height: Int? = nil
    public var width: Int? = nil
    /// How many consecutive samples start from one initial noise x_T (1: each its
    /// own). Pairs for P3O may share it, as D3PO's do: the two images of a pair then
    /// differ only by the steps' noise. The prompt count must be a multiple of it.
    public var samplesPerInitialNoise: Int = 1

    public init(
        steps: Int = 50, guidanceScale: Double = 5.0, eta: Double = 1.0, height: Int? = nil, width: Int? = nil,
        samplesPerInitialNoise: Int = 1
    ) {
        self.steps = steps
        self.guidanceScale = guidanceScale
        self.eta = eta
        self.height = height
        self.width = width
        self.samplesPerInitialNoise = samplesPerInitialNoise
    }
}

/// A sampling option outside what a model (or DDIM) can honour; `field` is the
/// option's name (`steps`, `guidance_scale`, `eta`, `height`, `width`), for a command
/// line or a configuration file to translate into its own.
public struct SamplingOptionsError: Error, CustomStringConvertible, Equatable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

extension SamplingOptions {
    /// The largest classifier-free guidance weight accepted (SD uses 5 to 15).
    public static let maximumGuidanceScale = 1000.0

    /// The checks that need no model: guidance finite in 0...maximumGuidanceScale (NaN
    /// would silently turn guidance off, infinity gives a black image); eta finite in
    /// [0, 1] (above 1 the DDIM variance exceeds 1 - alpha-bar and the step is NaN; 0 is
    /// deterministic DDIM, whose log-probabilities are NaN: a trainer checks eta > 0 itself);
    /// steps in 1...`SchedulerConfiguration.maximumTrainTimesteps`; height and width positive when given.
    public func validate() throws {
        func fail(_ field: String, _ message: String) -> SamplingOptionsError {
            SamplingOptionsError(field: field, message: message)
        }
        let maximumGuidance = Self.maximumGuidanceScale
        guard guidanceScale.isFinite && guidanceScale >= 0 && guidanceScale <= maximumGuidance else {
            throw fail(
                "guidance_scale",
                "must be a finite number in 0...\(Int(maximumGuidance)) (1 or less: no guidance), got \(guidanceScale)")
        }
        guard eta.isFinite && eta >= 0 && eta <= 1 else {
            throw fail(
                "eta",
                "must be in [0, 1], got \(eta) (0: deterministic DDIM; above 1 the DDIM step's variance "
                    + "exceeds 1 - alpha-bar and gives NaN)")
        }
        let maximumSteps = SchedulerConfiguration.maximumTrainTimesteps
        guard steps >= 1 && steps <= maximumSteps else {
            throw fail(
                "steps",
                "must be in 1...num_train_timesteps of the model's scheduler (at most \(maximumSteps)), got \(steps)")
        }
        for (field, size) in [("height", height), ("width", width)] {
            if let size, size < 1 { throw fail(field, "must be positive, got \(size)") }
        }
    }
}

extension StableDiffusion {
    /// `options` checked against this model: `SamplingOptions.validate()`, the steps
    /// against the scheduler (1...`scheduler.maximumInferenceSteps`, so every timestep
    /// with `steps_offset` is inside the schedule), and the latent size (image side /
    /// VAE scale factor) in 1...`ModelSizeLimits.maximumLatentSide`.
    public func check(_ options: SamplingOptions) throws {
        try options.validate()
        do {
            _ = try scheduler.checkedTimesteps(inferenceSteps: options.steps)
        } catch let error as SchedulerConfigurationError {
            throw SamplingOptionsError(field: "steps", message: error.message)
        }
        let scale = vaeScaleFactor
        let maximum = ModelSizeLimits.maximumLatentSide
        for (field, size) in [("height", options.height), ("width", options.width)] {
            guard let size else { continue }
            guard size >= scale && size / scale <= maximum else {
                throw SamplingOptionsError(
                    field: field,
                    message:
                        "must be in \(scale)...\(maximum * scale) pixels (a latent side of 1...\(maximum) at the "
                        + "VAE's scale factor \(scale)), got \(size)")
            }
        }
    }
}

/// Everything DDPO needs from a sampling run: the whole denoising trajectory.
public struct Trajectory {
    public var prompts: [String]
    /// Text-encoder states of the prompts [B, 77, hidden] and of the empty prompt [1, 77, hidden].
    public var promptEmbeddings: Tensor
    public var negativeEmbedding: Tensor
    /// x_T, ..., x_0 stacked: [B, steps + 1, C, h, w]. States are `latents[:, :-1]`, actions `latents[:, 1:]`.
    public var latents: Tensor
    /// The timestep of each step, int64 [steps].
    public var timesteps: Tensor
    /// log p(x_{t-1} | x_t) of each step, [B, steps]; NaN when sampled at eta 0 (deterministic).
    public var logProbabilities: Tensor
    /// Decoded x_0 in [0, 1], float32 [B, 3, H, W].
    public var images: Tensor
}

/// Samples with DDIM and classifier-free guidance, drawing noise in diffusers'
/// order (initial latents, then one draw per step) so that the same CPU generator
/// seed reproduces diffusers' StableDiffusionPipeline with DDIMScheduler.
public struct TrajectorySampler {
    public let model: StableDiffusion
    /// The dtype the UNet's forward passes, the prompt encoding and the VAE decoding
    /// of `sample` autocast to (mixed precision), or nil to run them in the model's
    /// dtype. Outputs are cast back (embeddings to the model's dtype, images to fp32).
    public let autocast: DType?

    public init(model: StableDiffusion, autocast: DType? = nil) {
        self.model = model
        self.autocast = autocast
    }

    /// The UNet's prediction for x_t, under autocast when `autocast` is set; the
    /// output is cast back to the model's dtype, so the scheduler's step and the
    /// log-probabilities are computed in full precision.
    public func noisePrediction(latents: Tensor, timesteps: Tensor, encoderHiddenStates: Tensor) -> Tensor {
        guard let autocast else {
            return model.unet(latents, timesteps: timesteps, encoderHiddenStates: encoderHiddenStates)
        }
        return Autocast.run(on: model.device, dtype: autocast) {
            model.unet(latents, timesteps: timesteps, encoderHiddenStates: encoderHiddenStates)
        }.to(dtype: model.dtype)
    }

    /// Guided model output for x_t at per-sample `timesteps` [B]: one batched UNet
    /// call for both halves ([unconditional; conditional]).
    public func guidedNoisePrediction(
        latents: Tensor, timesteps: Tensor, promptEmbeddings: Tensor,
        negativeEmbedding: Tensor, guidanceScale: Double
    ) -> Tensor {
        let batch = latents.size(0)
        guard guidanceScale > 1 else {
            return noisePrediction(latents: latents, timesteps: timesteps, encoderHiddenStates: promptEmbeddings)
        }
        let negative = negativeEmbedding.expanded(to: [batch, -1, -1])
        let output = noisePrediction(
            latents: Tensor.cat([latents, latents]),
            timesteps: Tensor.cat([timesteps, timesteps]),
            encoderHiddenStates: Tensor.cat([negative, promptEmbeddings]))
        let halves = output.chunked(2)
        return halves[0] + guidanceScale * (halves[1] - halves[0])
    }

    /// The DDIM step from x_t (`latents`, at per-sample `timesteps` [B]) with the
    /// guided prediction (`guidanceScale` ≤ 1: the conditional one alone). Given
    /// `previousSample`, it scores that stored x_{t-1} under the current weights (the
    /// policy update, the KL penalty, the monitors); otherwise it draws x_{t-1} from
    /// `generator` (sampling). One function for all, so a trajectory is re-scored
    /// exactly as it was drawn.
    public func step(
        latents: Tensor, timesteps: Tensor, promptEmbeddings: Tensor, negativeEmbedding: Tensor,
        guidanceScale: Double, inferenceSteps: Int, eta: Double, previousSample: Tensor? = nil,
        generator: Generator? = nil
    ) -> DDIMStep {
        let output = guidedNoisePrediction(
            latents: latents, timesteps: timesteps, promptEmbeddings: promptEmbeddings,
            negativeEmbedding: negativeEmbedding, guidanceScale: guidanceScale)
        return model.scheduler.step(
            modelOutput: output, timesteps: timesteps, sample: latents,
            inferenceSteps: inferenceSteps, eta: eta, previousSample: previousSample,
            generator: generator)
    }

    /// `body` under `autocast` when set (the frozen text encoder and VAE run once per
    /// batch, so this matters less than for the UNet, but SD's VAE decoder at 512×512
    /// is not cheap).
    private func frozenPass(_ body: () -> Tensor) -> Tensor {
        guard let autocast else { return body() }
        return Autocast.run(on: model.device, dtype: autocast, body)
    }

    /// Runs the reverse process for `prompts`; `progress(step, total)` is called after each step.
    public func sample(
        prompts: [String], options: SamplingOptions, generator: Generator,
        progress: ((Int, Int) -> Void)? = nil
    ) -> Trajectory {
        precondition(!prompts.isEmpty, "TrajectorySampler.sample: no prompts")
        precondition(options.eta >= 0, "TrajectorySampler.sample: eta must not be negative")
        return withNoGrad {
            let device = model.device
            let scale = model.vaeScaleFactor
            let height = (options.height ?? model.defaultImageSize) / scale
            let width = (options.width ?? model.defaultImageSize) / scale
            let maximum = ModelSizeLimits.maximumLatentSide
            guard (1...maximum).contains(height) && (1...maximum).contains(width) else {
                fatalError(
                    "TrajectorySampler.sample: the latent size \(height)×\(width) is outside 1...\(maximum) "
                        + "(check options with StableDiffusion.check(_:) first)")
            }
            let promptEmbeddings = frozenPass { model.encode(prompts: prompts) }.to(dtype: model.dtype)
            let negativeEmbedding = frozenPass { model.encode(prompts: [""]) }.to(dtype: model.dtype)
            let sharing = options.samplesPerInitialNoise
            precondition(
                sharing >= 1 && prompts.count % sharing == 0,
                "TrajectorySampler.sample: \(prompts.count) prompts do not split into groups of \(sharing) sharing x_T")
            var latents = Tensor.randn(
                [prompts.count / sharing, model.latentChannels, height, width], dtype: model.dtype,
                device: generator.device, generator: generator
            ).to(device: device)
            if sharing > 1 {
                latents = Tensor.stack((0..<prompts.count).map { latents[$0 / sharing] })
            }
            let timesteps = model.scheduler.timesteps(inferenceSteps: options.steps)
            var states = [latents]
            var logProbabilities: [Tensor] = []
            for (index, t) in timesteps.enumerated() {
                let perSample = Tensor.full([prompts.count], value: Double(t), dtype: .int64, device: device)
                let step = self.step(
                    latents: latents, timesteps: perSample, promptEmbeddings: promptEmbeddings,
                    negativeEmbedding: negativeEmbedding, guidanceScale: options.guidanceScale,
                    inferenceSteps: options.steps, eta: options.eta, generator: generator)
                latents = step.previousSample.to(dtype: model.dtype)
                states.append(latents)
                logProbabilities.append(step.logProbability)
                progress?(index + 1, timesteps.count)
            }
            return Trajectory(
                prompts: prompts, promptEmbeddings: promptEmbeddings, negativeEmbedding: negativeEmbedding,
                latents: Tensor.stack(states, dim: 1), timesteps: Tensor(timesteps.map(Int64.init)),
                logProbabilities: Tensor.stack(logProbabilities, dim: 1),
                images: frozenPass { model.decode(latents: latents) }.to(dtype: .float32))
        }
    }
}
