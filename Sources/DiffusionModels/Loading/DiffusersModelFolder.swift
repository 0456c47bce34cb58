import Files
import Foundation
import Torch
import TorchNN

/// Reading one model folder of a diffusers pipeline (`unet/`, `vae/`): `config.json`
/// and `diffusion_pytorch_model[.variant].safetensors`, or a sharded set listed in
/// `diffusion_pytorch_model.safetensors[.index.variant].json`.
enum DiffusersModelFolder {
    static let weightsName = "diffusion_pytorch_model"

    /// config.json decoded; errors name the file and the field.
    static func configuration<T: Decodable>(_ type: T.Type, in directory: URL) throws -> T {
        try ConfigurationFile.decode(T.self, from: directory.appendingPathComponent("config.json"))
    }

    /// diffusers' `_add_variant`: the variant goes before the last extension
    /// ("a.safetensors" -> "a.fp16.safetensors", "a.safetensors.index.json" -> "a.safetensors.index.fp16.json").
    static func addingVariant(_ name: String, _ variant: String?) -> String {
        guard let variant, let dot = name.lastIndex(of: ".") else { return name }
        return "\(name[..<dot]).\(variant)\(name[dot...])"
    }

    /// Every tensor of the folder's weights, memory-mapped. Refuses pickle weights.
    static func weights(in directory: URL, variant: String?, modelClass: String) throws
        -> (tensors: [String: Tensor], path: String)
    {
        let fileManager = FileManager.default
        let single = addingVariant("\(weightsName).safetensors", variant)
        let index = addingVariant("\(weightsName).safetensors.index.json", variant)
        let singleURL = directory.appendingPathComponent(single)
        if fileManager.fileExists(atPath: singleURL.path) {
            return (try SafetensorsFile(url: singleURL).tensors(), singleURL.path)
        }
        let indexURL = directory.appendingPathComponent(index)
        if fileManager.fileExists(atPath: indexURL.path) {
            return (try shardedWeights(index: indexURL), indexURL.path)
        }
        for pickle in [
            addingVariant("\(weightsName).bin", variant), addingVariant("\(weightsName).bin.index.json", variant)
        ]
        where fileManager.fileExists(atPath: directory.appendingPathComponent(pickle).path) {
            throw DiffusersModelError(
                path: directory.path, problem: .pickleWeights(file: pickle, modelClass: modelClass))
        }
        throw DiffusersModelError(path: directory.path, problem: .noWeights(lookedFor: [single, index]))
    }

    private struct ShardIndex: Decodable {
        var weightMap: [String: String]
        enum CodingKeys: String, CodingKey { case weightMap = "weight_map" }
    }

    /// The tensors of every shard an index lists.
    private static func shardedWeights(index url: URL) throws -> [String: Tensor] {
        let index = try ConfigurationFile.decode(ShardIndex.self, from: url)
        var tensors: [String: Tensor] = [:]
        for shard in Set(index.weightMap.values).sorted() {
            let file = try SafetensorsFile(url: url.deletingLastPathComponent().appendingPathComponent(shard))
            try tensors.merge(file.tensors()) { first, _ in first }
        }
        return tensors
    }

    /// Strict loading (every parameter present with its shape, no key left over), with
    /// the weights file named in the error.
    static func load(_ model: Module, from tensors: [String: Tensor], path: String) throws {
        do {
            try model.load(parameters: tensors, strict: true)
        } catch let error as ModuleLoadingError {
            throw DiffusersModelError(path: path, problem: .weightsDoNotFit(error))
        }
    }
}
