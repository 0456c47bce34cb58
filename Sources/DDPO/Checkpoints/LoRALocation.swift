import Foundation

extension LoRAExport {
    /// The folder holding `pytorch_lora_weights.safetensors` for `path`, which is
    /// either that folder itself or a run folder (whose export lives in `lora/`),
    /// so `--lora runs/NAME` and `--lora runs/NAME/lora` both work.
    public static func directory(forRunOrLoRA path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        let candidates = [url, url.appendingPathComponent("lora")]
        for candidate in candidates
        where FileManager.default.fileExists(atPath: candidate.appendingPathComponent(fileName).path) {
            return candidate
        }
        throw CheckpointError(
            path: path,
            reason: "no \(fileName) here or in \(path)/lora"
                + " (give a run folder or a folder with the LoRA export)")
    }
}
