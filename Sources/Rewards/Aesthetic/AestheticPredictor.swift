import Foundation
import Torch
import TorchNN

/// The LAION aesthetic predictor's head (improved-aesthetic-predictor,
/// `sac+logos+ava1-l14-linearMSE.pth`): Linear layers 768 → 1024 → 128 → 64 → 16 → 1
/// with no activation between them, applied to an L2-normalised CLIP ViT-L/14
/// image embedding; the output is a score of about 1 to 10.
///
/// The published model is an `nn.Sequential` with dropouts at indices 1, 3 and 5
/// (identity at evaluation), hence the state-dict keys `layers.0`, `layers.2`,
/// `layers.4`, `layers.6` and `layers.7`, which are the names here.
public final class AestheticPredictor: Module {
    /// The sizes of the published head, input first.
    public static let widths = [768, 1024, 128, 64, 16, 1]

    @Child(key: "layers.0") public var layer0: Linear
    @Child(key: "layers.2") public var layer2: Linear
    @Child(key: "layers.4") public var layer4: Linear
    @Child(key: "layers.6") public var layer6: Linear
    @Child(key: "layers.7") public var layer7: Linear

    override public init() {
        let w = Self.widths
        super.init()
        layer0 = Linear(w[0], w[1])
        layer2 = Linear(w[1], w[2])
        layer4 = Linear(w[2], w[3])
        layer6 = Linear(w[3], w[4])
        layer7 = Linear(w[4], w[5])
    }

    public var inputSize: Int { Self.widths[0] }

    /// Scores [B] of embeddings [B, 768]; the embeddings are L2-normalised here.
    public func callAsFunction(_ embeddings: Tensor) -> Tensor {
        let normalised = embeddings / embeddings.norm(dims: [-1], keepDim: true)
        return layer7(layer6(layer4(layer2(layer0(normalised))))).squeezed(-1)
    }

    /// Loads the head from a safetensors file (`scripts/convert_aesthetic_mlp.py`
    /// converts the published .pth), strictly, in float32, in evaluation mode.
    public static func load(from url: URL) throws -> AestheticPredictor {
        let model = withParameterInitialization(.uninitialized) { AestheticPredictor() }
        try model.load(parameters: Safetensors.load(url), strict: true, dtype: .float32)
        model.eval()
        return model
    }
}
