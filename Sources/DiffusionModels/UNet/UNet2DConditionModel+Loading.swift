import Foundation
import Torch
import TorchNN

extension UNet2DConditionModel {
    /// Loads a diffusers `unet/` folder: `config.json` and
    /// `diffusion_pytorch_model[.variant].safetensors` (or its sharded index).
    ///
    /// The model is built without initialising its parameters, directly in `dtype` on
    /// `device`; the stored weights are converted (an fp16 variant loads into float32).
    /// Loading is strict: missing, unused and wrongly shaped keys are all reported in one
    /// `DiffusersModelError`. `.bin` (pickle) weights are refused, never unpickled.
    /// The model is returned in evaluation mode, as diffusers' from_pretrained does.
    public static func load(
        directory: URL, dtype: DType = .float32, variant: String? = nil,
        device: Device = .cpu
    ) throws -> UNet2DConditionModel {
        let configuration = try DiffusersModelFolder.configuration(UNet2DConditionConfiguration.self, in: directory)
        let weights = try DiffusersModelFolder.weights(
            in: directory, variant: variant,
            modelClass: "UNet2DConditionModel")
        let model = try withParameterInitialization(.uninitialized, dtype: dtype, device: device) {
            try UNet2DConditionModel(configuration: configuration)
        }
        try DiffusersModelFolder.load(model, from: weights.tensors, path: weights.path)
        model.eval()
        return model
    }
}
