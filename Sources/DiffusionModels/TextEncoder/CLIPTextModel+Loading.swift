import Foundation
import Torch
import TorchNN

extension CLIPTextModel {
    /// The name every parameter has in checkpoints written by transformers 4 (all
    /// published Stable Diffusion text encoders).
    static let checkpointPrefix = "text_model."

    /// Loads a diffusers `text_encoder/` folder: `config.json` and
    /// `model.safetensors` (`model.<variant>.safetensors` with a variant), in
    /// `dtype`, in evaluation mode, on the CPU.
    ///
    /// Loading is strict: a missing, unused or wrongly shaped tensor is a
    /// `ModuleLoadingError` that lists them all. Checkpoints written by
    /// transformers 5, which leaves out the `text_model.` prefix, load as well.
    public static func load(directory: URL, dtype: DType = .float32, variant: String? = nil) throws -> CLIPTextModel {
        let configuration = try CLIPTextConfiguration.load(from: directory.appendingPathComponent("config.json"))
        let weightsURL = try weightsFile(in: directory, variant: variant)
        let model = withParameterInitialization(.uninitialized, dtype: dtype) {
            CLIPTextModel(configuration: configuration)
        }
        try model.load(parameters: checkpointParameters(Safetensors.load(weightsURL)), strict: true, dtype: dtype)
        model.eval()
        return model
    }

    /// `model[.variant].safetensors` in `directory`. PyTorch's `.bin` weights are
    /// pickles, and unpickling runs whatever code the file contains, so they are
    /// refused with a way to convert them instead.
    static func weightsFile(in directory: URL, variant: String?) throws -> URL {
        // transformers' _add_variant: the variant goes before the last extension.
        func named(_ stem: String, _ ext: String) -> String {
            variant.map { "\(stem).\($0).\(ext)" } ?? "\(stem).\(ext)"
        }
        func exists(_ name: String) -> Bool {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)
        }
        func failure(_ message: String) -> CLIPModelFolderError {
            CLIPModelFolderError(directory: directory.path, message: message)
        }
        let name = named("model", "safetensors")
        if exists(name) { return directory.appendingPathComponent(name) }
        let index = named("model.safetensors.index", "json")
        if exists(index) {
            throw failure(
                "\(index): weights split into several files are not supported for text encoders; "
                    + "save them as one \(name)")
        }
        if let pickle = [named("pytorch_model", "bin"), named("pytorch_model.bin.index", "json")].first(where: exists) {
            throw failure(
                "only \(pickle) is there, a PyTorch pickle, which is never loaded because unpickling "
                    + "can run arbitrary code; convert the folder to safetensors in Python with "
                    + "`transformers.CLIPTextModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True)`, "
                    + "which writes \(name)")
        }
        if let variant, exists("model.safetensors") {
            throw failure("no \(name) (there is model.safetensors: load without the variant '\(variant)')")
        }
        throw failure("no \(name)")
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
