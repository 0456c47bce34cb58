import Foundation
import Torch
import TorchNN

extension CLIPModel {
    /// Loads a folder written by transformers' `CLIPModel.save_pretrained`
    /// (`config.json`, `model.safetensors`), such as openai/clip-vit-large-patch14
    /// or PickScore_v1, in `dtype`, in evaluation mode, on the CPU.
    ///
    /// Loading is strict: a missing, unused or wrongly shaped tensor is a
    /// `ModuleLoadingError` that lists them all.
    public static func load(directory: URL, dtype: DType = .float32) throws -> CLIPModel {
        let configuration = try CLIPModelConfiguration.load(from: directory.appendingPathComponent("config.json"))
        let weightsURL = try CLIPVisionModelWithProjection.weightsFile(in: directory)
        var tensors = try Safetensors.load(weightsURL)
        // Not learned: 0, 1, 2, ... (older checkpoints store them).
        tensors["text_model.embeddings.position_ids"] = nil
        tensors["vision_model.embeddings.position_ids"] = nil
        guard let logitScaleTensor = tensors.removeValue(forKey: "logit_scale") else {
            throw CLIPModelFolderError(
                directory: directory.path, message: "model.safetensors has no logit_scale: not a whole CLIPModel")
        }
        guard logitScaleTensor.elementCount == 1 else {
            throw CLIPModelFolderError(
                directory: directory.path,
                message: "logit_scale has shape \(logitScaleTensor.shape), expected a single value")
        }
        let logitScale = logitScaleTensor.to(dtype: .float64).toArray(Double.self)[0]
        guard logitScale.isFinite else {
            throw CLIPModelFolderError(directory: directory.path, message: "logit_scale is \(logitScale)")
        }
        let (text, textProjection, vision) = withParameterInitialization(.uninitialized, dtype: dtype) {
            (
                CLIPTextModel(configuration: configuration.text),
                Linear(configuration.text.hiddenSize, configuration.projectionDimension, bias: false),
                CLIPVisionModelWithProjection(configuration: configuration.vision)
            )
        }
        // Each part takes its own names; together they must use every tensor.
        let textNames = tensors.filter { $0.key.hasPrefix(CLIPTextModel.checkpointPrefix) }
        let projectionNames = tensors.filter { $0.key.hasPrefix("text_projection.") }
        let visionNames = tensors.filter { $0.key.hasPrefix("vision_model.") || $0.key.hasPrefix("visual_projection.") }
        let unused = Set(tensors.keys).subtracting(textNames.keys).subtracting(projectionNames.keys)
            .subtracting(visionNames.keys)
        guard unused.isEmpty else {
            throw CLIPModelFolderError(
                directory: directory.path,
                message:
                    "model.safetensors has tensors no CLIPModel part uses: \(unused.sorted().prefix(8).joined(separator: ", "))"
            )
        }
        try text.load(parameters: textNames, strict: true, dtype: dtype)
        try textProjection.load(parameters: projectionNames, prefix: "text_projection.", strict: true, dtype: dtype)
        try vision.load(parameters: visionNames, strict: true, dtype: dtype)
        text.eval()
        textProjection.eval()
        vision.eval()
        return CLIPModel(
            configuration: configuration, text: text, textProjection: textProjection, vision: vision,
            logitScale: logitScale)
    }
}
