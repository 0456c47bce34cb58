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
        try Safetensors.save(
            weights(of: unet), to: directory.appendingPathComponent(fileName),
            metadata: ["format": "pt", "exported_by": "swift-ddpo"])
    }
}

extension LoRAExport {
    /// Reads `directory/pytorch_lora_weights.safetensors` (as written by `write`) into
    /// `unet`: adds adapters of the stored rank exactly where the file has them
    /// (alpha = rank, since the scale is folded into lora_B) and loads their weights.
    public static func load(into unet: Module, from directory: URL) throws {
        let url = directory.appendingPathComponent(fileName)
        let tensors = try Safetensors.load(url)
        var paths: Set<String> = []
        var rank: Int?
        for (key, tensor) in tensors {
            guard key.hasPrefix("unet."), key.hasSuffix(".lora_A.weight") || key.hasSuffix(".lora_B.weight") else {
                throw CheckpointError(
                    path: url.path, reason: "unexpected key '\(key)' (only unet.*.lora_A/B.weight are read)")
            }
            let path = String(key.dropFirst("unet.".count).dropLast(".lora_A.weight".count))
            paths.insert(path)
            if key.hasSuffix(".lora_A.weight") {
                if rank != nil && rank != tensor.size(0) {
                    throw CheckpointError(path: url.path, reason: "adapters of different ranks are not supported")
                }
                rank = tensor.size(0)
            }
        }
        guard let rank, !paths.isEmpty else {
            throw CheckpointError(path: url.path, reason: "no LoRA weights in the file")
        }
        // A target is the path's last key, or its last two when the last is an index ("to_out.0").
        let targets = Set(
            paths.map { path -> String in
                let parts = path.split(separator: ".")
                return Int(parts.last!) != nil && parts.count >= 2
                    ? parts.suffix(2).joined(separator: ".") : String(parts.last!)
            })
        let replaced = try applyLoRA(to: unet, targets: targets, rank: rank, alpha: Double(rank))
        guard Set(replaced) == paths else {
            let extra = Set(replaced).symmetricDifference(paths).sorted().prefix(3).joined(separator: ", ")
            throw CheckpointError(path: url.path, reason: "adapters do not match the model's layers (e.g. \(extra))")
        }
        var stripped: [String: Tensor] = [:]
        for (key, tensor) in tensors { stripped[String(key.dropFirst("unet.".count))] = tensor }
        do {
            try unet.loadLoRA(parameters: stripped)
        } catch {
            throw CheckpointError(path: url.path, reason: "\(error)")
        }
    }
}
