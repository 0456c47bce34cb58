import Foundation
import Torch
import TorchNN

extension CLIPVisionModelWithProjection {
    /// Loads a folder written by transformers' `save_pretrained`: `config.json` and
    /// `model.safetensors`, either of a CLIPVisionModelWithProjection or of a whole
    /// CLIPModel (such as `openai/clip-vit-large-patch14`), whose text half is
    /// skipped. In `dtype`, in evaluation mode, on the CPU.
    ///
    /// Loading is strict: a missing, unused or wrongly shaped vision tensor is a
    /// `ModuleLoadingError` that lists them all.
    public static func load(directory: URL, dtype: DType = .float32) throws -> CLIPVisionModelWithProjection {
        let configuration = try CLIPVisionConfiguration.load(from: directory.appendingPathComponent("config.json"))
        let weightsURL = try weightsFile(in: directory)
        let model = withParameterInitialization(.uninitialized, dtype: dtype) {
            CLIPVisionModelWithProjection(configuration: configuration)
        }
        try model.load(parameters: checkpointParameters(Safetensors.load(weightsURL)), strict: true, dtype: dtype)
        model.eval()
        return model
    }

    /// `model.safetensors` in `directory`. PyTorch's `.bin` weights are pickles,
    /// and unpickling runs whatever code the file contains, so they are refused
    /// with a way to convert them instead.
    static func weightsFile(in directory: URL) throws -> URL {
        func exists(_ name: String) -> Bool {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)
        }
        func failure(_ message: String) -> CLIPModelFolderError {
            CLIPModelFolderError(directory: directory.path, message: message)
        }
        if exists("model.safetensors") { return directory.appendingPathComponent("model.safetensors") }
        if exists("model.safetensors.index.json") {
            throw failure(
                "model.safetensors.index.json: weights split into several files are not supported; "
                    + "save them as one model.safetensors (save_pretrained with a large max_shard_size)")
        }
        if let pickle = ["pytorch_model.bin", "pytorch_model.bin.index.json"].first(where: exists) {
            throw failure(
                "only \(pickle) is there, a PyTorch pickle, which is never loaded because unpickling "
                    + "can run arbitrary code; convert the folder in Python with "
                    + "`transformers.CLIPModel.from_pretrained(folder).save_pretrained(folder)`, which writes model.safetensors"
            )
        }
        throw failure("no model.safetensors")
    }

    /// A checkpoint's tensors under this module's names: the `position_ids` buffer
    /// (0, 1, 2, ...; nothing learned) is dropped, and so is the text half of a
    /// full CLIPModel checkpoint (`text_model.*`, `text_projection.*`, `logit_scale`).
    static func checkpointParameters(_ tensors: [String: Tensor]) -> [String: Tensor] {
        tensors.filter { name, _ in
            name != "vision_model.embeddings.position_ids" && !name.hasPrefix("text_model.")
                && !name.hasPrefix("text_projection.") && name != "logit_scale"
        }
    }
}
