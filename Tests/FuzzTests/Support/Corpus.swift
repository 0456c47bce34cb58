import Foundation
import TestSupport
import Torch

/// The valid inputs the fuzz targets start from: the repository's own fixtures and configurations.
enum Corpus {
    static let repositoryRoot = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    static func bytes(_ url: URL) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            fatalError("fuzz corpus: cannot read \(url.path)")
        }
        return Array(data)
    }

    /// The files of a pipeline's tokenizer/ that CLIPTokenizer reads, under `prefix`.
    static func tokenizer(_ pipeline: String, prefix: String = "") -> Fuzzer.Files {
        let folder = Fixtures.pipeline(pipeline).appendingPathComponent("tokenizer")
        var files: Fuzzer.Files = [:]
        for name in ["vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"] {
            files[prefix + name] = bytes(folder.appendingPathComponent(name))
        }
        return files
    }

    /// A pipeline folder's configuration files (no weights), and a CLIP vision config.json under vision/.
    static func pipelineConfigurations(_ pipeline: String) -> Fuzzer.Files {
        let root = Fixtures.pipeline(pipeline)
        var files = tokenizer(pipeline, prefix: "tokenizer/")
        for path in [
            "model_index.json", "unet/config.json", "vae/config.json", "text_encoder/config.json",
            "scheduler/scheduler_config.json"
        ] {
            files[path] = bytes(root.appendingPathComponent(path))
        }
        files["vision/config.json"] = bytes(Fixtures.root.appendingPathComponent("aesthetic/clip/config.json"))
        return files
    }

    /// Every configs/*.yaml.
    static func yamlConfigurations() -> [[UInt8]] {
        let folder = repositoryRoot.appendingPathComponent("configs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { bytes(folder.appendingPathComponent($0)) }
    }

    /// Small safetensors files of every dtype, as (header JSON, data) pairs, written by SafetensorsWriter.
    static func safetensors() throws -> [Fuzzer.Files] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-corpus-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sets: [([String: Tensor], [String: String])] = [
            (
                [
                    "weight": Tensor([Float](repeating: 0.5, count: 6), shape: [2, 3]),
                    "bias": Tensor([Float(1), 2, 3]), "steps": Tensor([Int64(1), 2, 3, 4], shape: [2, 2])
                ], ["format": "pt"]
            ),
            (
                [
                    "half": Tensor([Float](repeating: 1, count: 4), shape: [4]).to(dtype: .float16),
                    "brain": Tensor([Float](repeating: 2, count: 3), shape: [1, 3]).to(dtype: .bfloat16),
                    "empty": Tensor([Float](), shape: [0, 5]), "scalar": Tensor(scalar: 3, dtype: .float64)
                ], [:]
            ),
            (
                [
                    "mask": Tensor([Int32(1), 0, 1, 1], shape: [2, 2]).to(dtype: .bool),
                    "bytes": Tensor([Int32(7), 8, 9], shape: [3]).to(dtype: .uint8),
                    "ints": Tensor([Int32(-1), 5], shape: [2, 1, 1])
                ], ["a": "b", "c": ""]
            )
        ]
        return try sets.enumerated().map { index, set in
            let url = directory.appendingPathComponent("\(index).safetensors")
            try Safetensors.save(set.0, to: url, metadata: set.1)
            let file = bytes(url)
            let length = Int(file[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) })
            return ["header.json": Array(file[8..<(8 + length)]), "data.bin": Array(file[(8 + length)...])]
        }
    }
}
