import Torch
import TorchNN

/// Gradient checkpointing of the UNet's layers (`UNet2DConditionModel.gradientCheckpointing`):
/// each ResNet block, transformer and upsampler is one `Torch.checkpointed` unit, whose
/// activations the backward recomputes.
///
/// The gradients are bitwise those without checkpointing, because every tensor's gradient
/// is summed from its uses in the same order. A tensor used in several places gets one
/// gradient per use, which autograd adds in the reverse order of the uses; a checkpointed
/// unit hands back ONE gradient per input, the sum of its uses inside it, which would add
/// them in another grouping (a + (b + c) for (a + b) + c: the same sum, rounded
/// differently) wherever the input is also used outside the unit. Hence:
/// - these units and not whole down/up blocks: a unit uses the time embedding at most
///   once (a whole block would first sum its own ResNet blocks' parts of its gradient);
/// - a ResNet block gets its input twice, once for the shortcut and once for the main
///   path (`ResnetBlock2D.forward(_:shortcutInput:timeEmbedding:)`): in the down path its
///   input is also a skip connection, whose gradient from the up path comes first, then
///   the shortcut's, then the main path's, as without checkpointing;
/// - a transformer's and an upsampler's inputs are used by them alone.
extension Module {
    /// `body(inputs)`, checkpointed with this module's trainable parameters when
    /// `enabled` (and grad mode is on). A module with an active dropout (training mode,
    /// p > 0) is not checkpointed: the recomputation would draw another mask.
    func checkpointed(_ inputs: [Tensor], enabled: Bool, _ body: @escaping ([Tensor]) -> Tensor) -> Tensor {
        guard enabled, isGradEnabled, !hasActiveDropout else { return body(inputs) }
        return Torch.checkpointed(inputs, parameters: trainableParameters().map(\.tensor)) { [body($0)] }[0]
    }

    private var hasActiveDropout: Bool {
        namedModules().contains { entry in
            guard let dropout = entry.module as? Dropout else { return false }
            return dropout.training && dropout.p > 0
        }
    }
}

extension ResnetBlock2D {
    /// `self(input, timeEmbedding:)`, checkpointed when `checkpointing`.
    func callAsFunction(_ input: Tensor, timeEmbedding: Tensor, checkpointing: Bool) -> Tensor {
        // The shortcut's use first: the node's gradients are added in input order.
        checkpointed([input, input, timeEmbedding], enabled: checkpointing) { [self] in
            forward($0[1], shortcutInput: $0[0], timeEmbedding: $0[2])
        }
    }
}

extension Transformer2DModel {
    /// `self(hiddenStates, context:)`, checkpointed when `checkpointing`.
    func callAsFunction(_ hiddenStates: Tensor, context: Tensor, checkpointing: Bool) -> Tensor {
        checkpointed([hiddenStates, context], enabled: checkpointing) { [self] in self($0[0], context: $0[1]) }
    }
}

extension Upsample2D {
    /// `self(x, outputSize:)`, checkpointed when `checkpointing` (the upsampled map its
    /// convolution would keep is 4× the input).
    func callAsFunction(_ x: Tensor, outputSize: (height: Int, width: Int)?, checkpointing: Bool) -> Tensor {
        checkpointed([x], enabled: checkpointing) { [self] in self($0[0], outputSize: outputSize) }
    }
}
