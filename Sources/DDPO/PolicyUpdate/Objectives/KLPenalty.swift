import DiffusionModels
import Torch
import TorchNN

/// A KL penalty toward the frozen pretrained model, against reward
/// over-optimisation (Zhang et al. 2024, docs/algorithm.md §8).
///
/// With eta > 0 every DDIM step is a Gaussian policy N(μ_θ(x_t, c, t), σ_t² I)
/// (docs/algorithm.md §2). Its σ_t depends only on the noise schedule, so the current
/// policy and the reference share it, and the KL divergence of one step has the
/// closed form
///
///     KL( N(μ_θ, σ_t² I) ‖ N(μ_ref, σ_t² I) ) = ‖μ_θ − μ_ref‖² / (2 σ_t²),
///
/// summed over all latent elements: the exact KL of the step, not the
/// per-element mean the log-probabilities use. It is therefore about
/// (latent elements) times larger than a difference of those mean
/// log-probabilities, which `train.kl_weight` has to account for.
///
/// The trainer evaluates it on the states of the epoch's own trajectories, at the
/// same (sample, timestep) pairs the objective is trained on, and adds
/// `kl_weight ×` its batch mean to each micro-batch's loss. μ_ref is computed under
/// no-grad; the gradient flows through μ_θ only. RWR and sparse RWR regress on x_0
/// and never re-score the trajectory, but the trajectory is stored all the same, so
/// the penalty is evaluated there too (one extra policy forward pass per
/// micro-batch): the same constraint on the same states whatever the objective.
///
/// The reference is the policy that sampled at the start of fine-tuning: with
/// classifier-free guidance on (`train.cfg`) both means come from the guided
/// prediction at the same scale, since that is the distribution that sampled.
public enum KLPenalty {
    /// ‖mean − referenceMean‖² / (2 σ²) summed over every non-batch dimension, [B].
    /// `standardDeviation` broadcasts against the means ([B, 1, ..., 1] from `DDIMScheduler.step`).
    public static func divergence(mean: Tensor, referenceMean: Tensor, standardDeviation: Tensor) -> Tensor {
        precondition(
            mean.shape == referenceMean.shape,
            "KLPenalty.divergence: means of shapes \(mean.shape) and \(referenceMean.shape)")
        let perElement = (mean - referenceMean.detached()).square() / (2.0 * standardDeviation.square())
        return perElement.sum(dims: Array(1..<mean.rank))
    }
}

/// Where the reference policy of the KL penalty comes from.
public enum KLReference {
    /// LoRA: the trained UNet itself with every adapter switched off, which is
    /// exactly the pretrained UNet, so no second copy of the weights is kept.
    case adaptersOff
    /// Full fine-tuning: a frozen copy of the initial UNet (the same parameter
    /// memory again, e.g. about 3.4 GB in float32 for SD 1.5's UNet), inside a
    /// pipeline that shares every other component with the trained one.
    case frozenCopy(TrajectorySampler)

    /// Runs `body` under no-grad with the reference policy's pipeline: for
    /// `adaptersOff` the trained one with every adapter switched off (restored after).
    public func evaluate<R>(trained sampler: TrajectorySampler, _ body: (TrajectorySampler) -> R) -> R {
        withReference(trained: sampler) { reference in withNoGrad { body(reference) } }
    }

    /// Runs `body` with the reference policy's pipeline, as `evaluate` but leaving
    /// autograd's mode alone: for work spread over threads, each of which must turn
    /// recording off itself (the mode is per thread). While `body` runs, an
    /// `adaptersOff` reference is the only policy the shared UNet computes.
    public func withReference<R>(trained sampler: TrajectorySampler, _ body: (TrajectorySampler) -> R) -> R {
        switch self {
        case .adaptersOff:
            return sampler.model.unet.withLoRADisabled { body(sampler) }
        case .frozenCopy(let reference):
            return body(reference)
        }
    }
}
