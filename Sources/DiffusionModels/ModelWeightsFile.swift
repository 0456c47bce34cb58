import Foundation

/// A component folder whose weights cannot be used as they are.
public struct ModelWeightsFileError: Error, CustomStringConvertible, Equatable {
    public var directory: String
    public var message: String

    public init(directory: String, message: String) {
        self.directory = directory
        self.message = message
    }

    public var description: String { "\(directory): \(message)" }
}

/// Finds the weights of one component of a diffusers folder: `<stem>.safetensors`,
/// or `<stem>.<variant>.safetensors` for a variant such as "fp16".
///
/// Only safetensors are read. PyTorch's `.bin` files are pickles, and unpickling
/// runs whatever code the file contains, so they are refused with a way to
/// convert them instead.
public enum ModelWeightsFile {
    /// The safetensors file for `stem` ("model" for transformers components,
    /// "diffusion_pytorch_model" for diffusers ones) in `directory`.
    public static func locate(in directory: URL, stem: String, variant: String?) throws -> URL {
        let suffix = variant.map { ".\($0)" } ?? ""
        let fileManager = FileManager.default
        func exists(_ name: String) -> Bool {
            fileManager.fileExists(atPath: directory.appendingPathComponent(name).path)
        }
        let name = "\(stem)\(suffix).safetensors"
        if exists(name) { return directory.appendingPathComponent(name) }

        func fail(_ message: String) -> ModelWeightsFileError {
            ModelWeightsFileError(directory: directory.path, message: message)
        }
        if exists("\(name).index.json") {
            throw fail("\(name).index.json: weights split into several files are not supported; "
                + "save them as one \(name)")
        }
        // transformers calls its pickles pytorch_model.bin; diffusers uses the stem itself.
        let pickleNames = Set(["pytorch_model\(suffix).bin", "\(stem)\(suffix).bin"])
        if let pickle = pickleNames.sorted().first(where: exists) {
            throw fail("only \(pickle) is there, a PyTorch pickle, which is never loaded because unpickling "
                + "can run arbitrary code; convert the pipeline to safetensors in Python with "
                + "`DiffusionPipeline.from_pretrained(path).save_pretrained(path, safe_serialization=True)` "
                + "(diffusers), which writes \(name)")
        }
        if variant != nil, exists("\(stem).safetensors") {
            throw fail("no \(name) (there is \(stem).safetensors: load without the variant '\(variant!)')")
        }
        throw fail("no \(name)")
    }
}
