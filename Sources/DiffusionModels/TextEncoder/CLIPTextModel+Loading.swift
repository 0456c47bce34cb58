import Foundation
import Torch
import TorchNN

extension CLIPTextModel {
    /// The name every parameter has in checkpoints written by transformers 4 (all
    /// published Stable Diffusion text encoders).
    static let checkpointPrefix = "text_model."

    /// Loads a diffusers `text_encoder/` folder: `config.json` and
    /// `model.safetensors` (`model.<variant>.safetensors` with a variant), in
    /// `dtype`, in evaluation mode.
    ///
    /// Loading is strict: a missing, unused or wrongly shaped tensor is an error
    /// that lists them all. Checkpoints written by transformers 5, which leaves out
    /// the `text_model.` prefix, load as well.
    public static func load(directory: URL, dtype: DType = .float32, variant: String? = nil) throws -> CLIPTextModel {
        let configuration = try CLIPTextConfiguration.load(from: directory.appendingPathComponent("config.json"))
        let weightsURL = try ModelWeightsFile.locate(in: directory, stem: "model", variant: variant)
        let model = withParameterInitialization(.uninitialized, dtype: dtype) {
            CLIPTextModel(configuration: configuration)
        }
        try model.load(parameters: checkpointParameters(Safetensors.load(weightsURL)), strict: true, dtype: dtype)
        model.eval()
        return model
    }

    /// A checkpoint's tensors under this module's parameter names: the
    /// `position_ids` buffer (0, 1, 2, ...; nothing learned) is dropped, and
    /// transformers 5's unprefixed names get the `text_model.` prefix.
    static func checkpointParameters(_ tensors: [String: Tensor]) -> [String: Tensor] {
        var parameters: [String: Tensor] = [:]
        let prefixed = tensors.keys.contains { $0.hasPrefix(checkpointPrefix) }
        for (name, tensor) in tensors {
            let fullName = prefixed ? name : checkpointPrefix + name
            if fullName == checkpointPrefix + "embeddings.position_ids" { continue }
            parameters[fullName] = tensor
        }
        return parameters
    }
}
