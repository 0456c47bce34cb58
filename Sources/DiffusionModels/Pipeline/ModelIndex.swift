import Files
import Foundation
import Torch

/// A diffusers pipeline folder's `model_index.json`: which class each component
/// folder holds. Only Stable Diffusion 1.x/2.x text-to-image layouts are accepted.
public struct ModelIndex: Equatable, Sendable {
    public var pipelineClass: String
    /// Component folder name -> (library, class), e.g. "unet" -> ("diffusers", "UNet2DConditionModel").
    public var components: [String: Component]

    public struct Component: Equatable, Sendable {
        public var library: String
        public var className: String
    }

    /// The components a text-to-image pipeline needs, with the classes we can load.
    static let required: [String: Set<String>] = [
        "unet": ["UNet2DConditionModel"],
        "vae": ["AutoencoderKL"],
        "text_encoder": ["CLIPTextModel"],
        "tokenizer": ["CLIPTokenizer", "CLIPTokenizerFast"],
        // Any of diffusers' schedulers: only its noise schedule (betas, prediction type) is read;
        // sampling always uses DDIM, the policy DDPO trains.
        "scheduler": []
    ]

    public static func load(directory: URL) throws -> ModelIndex {
        let url = directory.appendingPathComponent("model_index.json")
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigurationFileError(
                path: url.path,
                message:
                    "cannot read the pipeline index (is \(directory.path) a diffusers pipeline folder?)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationFileError(path: url.path, message: "not a JSON object")
        }
        guard let pipelineClass = object["_class_name"] as? String else {
            throw ConfigurationFileError(path: url.path, message: "missing required field '_class_name'")
        }
        var components: [String: Component] = [:]
        for (key, value) in object where !key.hasPrefix("_") {
            // Components are ["library", "Class"]; optional ones may be [null, null].
            guard let pair = value as? [Any], pair.count == 2 else { continue }
            guard let library = pair[0] as? String, let className = pair[1] as? String else { continue }
            components[key] = Component(library: library, className: className)
        }
        for (name, classes) in required.sorted(by: { $0.key < $1.key }) {
            guard let component = components[name] else {
                throw ConfigurationFileError(path: url.path, message: "missing required component '\(name)'")
            }
            if !classes.isEmpty && !classes.contains(component.className) {
                throw ConfigurationFileError(
                    path: url.path,
                    message:
                        "component '\(name)' is a \(component.className); supported: \(classes.sorted().joined(separator: ", "))"
                )
            }
        }
        return ModelIndex(pipelineClass: pipelineClass, components: components)
    }
}
