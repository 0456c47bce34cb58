import Foundation
import Torch
import TorchNN

/// Trained UNet LoRA weights in the layout diffusers' `load_lora_weights` reads:
/// `unet.<module path>.lora_A.weight` / `.lora_B.weight` (PEFT naming) in
/// `pytorch_lora_weights.safetensors`. diffusers assumes alpha = rank when no alpha
/// is stored, so the adapter scale alpha / rank is folded into lora_B.
public enum LoRAExport {
    public static let fileName = "pytorch_lora_weights.safetensors"

    public static func weights(of unet: Module) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        withNoGrad {
            for (path, layer) in unet.loraLayers() {
                out["unet.\(path).lora_A.weight"] = layer.loraA.weight.detached().contiguous()
                out["unet.\(path).lora_B.weight"] = (layer.loraB.weight.detached() * layer.scale).contiguous()
            }
        }
        return out
    }

    /// Writes `directory/pytorch_lora_weights.safetensors` atomically.
    public static func write(unet: Module, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Safetensors.save(weights(of: unet), to: directory.appendingPathComponent(fileName),
                             metadata: ["format": "pt", "exported_by": "swift-ddpo"])
    }
}
