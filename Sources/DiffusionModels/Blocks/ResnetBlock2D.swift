import Torch
import TorchNN

/// diffusers' `ResnetBlock2D` (models/resnet.py) as Stable Diffusion uses it: pre-norm,
/// SiLU, the time embedding added between the two convolutions (time_embedding_norm
/// "default"), no sampling inside the block.
///
/// out = (shortcut(x) + conv2(dropout(silu(norm2(conv1(silu(norm1(x))) + proj(silu(t))))))) / outputScaleFactor
public final class ResnetBlock2D: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let outputScaleFactor: Double

    // Declaration order is diffusers' registration order, which fixes parameter order.
    @Child public var norm1: GroupNorm
    @Child public var conv1: Conv2d
    /// Absent in the VAE, whose blocks have no time embedding.
    @Child(key: "time_emb_proj") public var timeEmbeddingProjection: Linear?
    @Child public var norm2: GroupNorm
    @Child public var dropout: Dropout
    @Child public var conv2: Conv2d
    /// A 1×1 convolution, present when the block changes the channel count.
    @Child(key: "conv_shortcut") public var convShortcut: Conv2d?

    /// - Parameters:
    ///   - timeEmbeddingChannels: width of the time embedding, nil for none (VAE).
    ///   - groups: GroupNorm groups of both norms; `eps` their epsilon.
    public init(
        inChannels: Int, outChannels: Int, timeEmbeddingChannels: Int?, groups: Int, eps: Double,
        dropout: Double = 0, outputScaleFactor: Double = 1
    ) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.outputScaleFactor = outputScaleFactor
        super.init()
        norm1 = GroupNorm(groupCount: groups, channelCount: inChannels, eps: eps)
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1)
        if let timeEmbeddingChannels {
            timeEmbeddingProjection = Linear(timeEmbeddingChannels, outChannels)
        }
        norm2 = GroupNorm(groupCount: groups, channelCount: outChannels, eps: eps)
        self.dropout = Dropout(p: dropout)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1)
        if inChannels != outChannels {
            convShortcut = Conv2d(inChannels, outChannels, kernelSize: 1)
        }
    }

    /// `input` [B, inChannels, H, W]; `timeEmbedding` [B, T] before any activation
    /// (each block applies its own SiLU, as diffusers does), required exactly when the
    /// block has a time projection.
    public func callAsFunction(_ input: Tensor, timeEmbedding: Tensor? = nil) -> Tensor {
        forward(input, shortcutInput: input, timeEmbedding: timeEmbedding)
    }

    /// The block with the two uses of its input given apart (the same values): `input`
    /// for the main path, `shortcutInput` for the shortcut. Gradient checkpointing passes
    /// them as two inputs of its autograd node, so that their gradients are added one
    /// after the other, in autograd's order without checkpointing, to the gradient the
    /// input also gets from elsewhere (a skip connection): see UNet/GradientCheckpointing.swift.
    func forward(_ input: Tensor, shortcutInput: Tensor, timeEmbedding: Tensor?) -> Tensor {
        var hidden = conv1(norm1(input).silu())
        if let timeEmbeddingProjection {
            guard let timeEmbedding else {
                preconditionFailure("ResnetBlock2D: this block needs a time embedding")
            }
            // [B, C] -> [B, C, 1, 1], broadcast over the image.
            hidden = hidden + timeEmbeddingProjection(timeEmbedding.silu()).unsqueezed(-1).unsqueezed(-1)
        }
        hidden = conv2(dropout(norm2(hidden).silu()))
        let shortcut = convShortcut.map { $0(shortcutInput) } ?? shortcutInput
        let output = shortcut + hidden
        // Dividing by 1 is exact; skipping it saves a pass over the tensor.
        return outputScaleFactor == 1 ? output : output / outputScaleFactor
    }
}
