import DiffusionModels
import Foundation
import ImageCodecs
import Torch

/// `pickscore`, `clip_score` and `hpsv2`: how well each image matches its own
/// prompt by a CLIP model, plain (CLIP score) or fine-tuned on human preference
/// pairs (PickScore, HPS v2). See `CLIPPreferenceKind` for each score's formula
/// and docs/preference-rewards.md for the weights to bring.
///
/// Images are scored `batch_size` at a time, in `dtype`, on `device`; the
/// embeddings are compared in float32. `@unchecked Sendable`: the model's parts
/// are classes that scoring only reads under no-grad, and `usesLibtorch` makes the
/// trainer await each batch before it samples again, so calls never overlap.
public final class CLIPPreferenceReward: Reward, @unchecked Sendable {
    /// The CLIPModel folder (config.json, model.safetensors).
    public static let modelOption = "model"
    /// The folder with the tokenizer and preprocessor_config.json (default: `model`).
    public static let processorOption = "processor"
    public static let batchSizeOption = "batch_size"
    public static let dtypeOption = "dtype"
    public static let deviceOption = "device"
    public static let optionNames = [modelOption, processorOption, batchSizeOption, dtypeOption, deviceOption]

    /// The image preprocessing each kind's reference applies.
    public enum ImagePreprocessing: Sendable {
        case clip(CLIPImagePreprocessing)
        case openCLIP(OpenCLIPImagePreprocessing)

        func pixelValues(_ images: [RGBImage]) -> Tensor {
            switch self {
            case .clip(let preprocessing): return preprocessing.pixelValues(images)
            case .openCLIP(let preprocessing): return preprocessing.pixelValues(images)
            }
        }
    }

    public let kind: CLIPPreferenceKind
    public let model: CLIPModel
    public let tokenizer: CLIPTokenizer
    public let preprocessing: ImagePreprocessing
    public let batchSize: Int
    public let device: Device
    public let dtype: DType

    public init(
        kind: CLIPPreferenceKind, model: CLIPModel, tokenizer: CLIPTokenizer, preprocessing: ImagePreprocessing,
        batchSize: Int = 16, device: Device = .cpu, dtype: DType = .float32
    ) {
        precondition(batchSize > 0, "CLIPPreferenceReward: batchSize must be positive, got \(batchSize)")
        self.kind = kind
        self.model = model.to(dtype: dtype, device: device)
        self.tokenizer = tokenizer
        self.preprocessing = preprocessing
        self.batchSize = batchSize
        self.device = device
        self.dtype = dtype
    }

    /// Reads the options; every failure names the option and, for files, the path.
    public convenience init(kind: CLIPPreferenceKind, options: RewardOptions) throws {
        let modelPath = try options.string(Self.modelOption)
        let processorPath = options.string(Self.processorOption, default: modelPath)
        let batchSize = try options.int(Self.batchSizeOption, default: 16, in: 1...4096)
        let dtypeName = try options.choice(Self.dtypeOption, ["float32", "bfloat16", "float16"], default: "float32")
        let dtype: DType = ["bfloat16": .bfloat16, "float16": .float16][dtypeName] ?? .float32
        let deviceName = options.string(Self.deviceOption, default: "cpu")
        guard let device = Device(deviceName) else {
            throw options.invalid(Self.deviceOption, deviceName, expected: "cpu, cuda or cuda:N")
        }
        do {
            try device.checkAvailable()
        } catch {
            throw options.invalid(Self.deviceOption, deviceName, expected: "an available device (\(error))")
        }
        let model: CLIPModel
        do {
            model = try CLIPModel.load(directory: URL(fileURLWithPath: modelPath))
        } catch {
            throw options.invalid(Self.modelOption, modelPath, expected: "\(kind.modelDescription) (\(error))")
        }
        let processorURL = URL(fileURLWithPath: processorPath)
        let tokenizer: CLIPTokenizer
        let preprocessing: ImagePreprocessing
        do {
            tokenizer = try CLIPTokenizer(directory: Self.tokenizerFolder(in: processorURL))
            let imageSize = model.configuration.vision.imageSize
            switch kind {
            case .pickScore, .clipScore:
                let clip = try CLIPImagePreprocessing.load(directory: processorURL, defaultSize: imageSize)
                guard clip.cropHeight == imageSize, clip.cropWidth == imageSize else {
                    throw options.invalid(
                        Self.processorOption, processorPath,
                        expected: "a preprocessor_config.json whose crop_size (\(clip.cropHeight)x\(clip.cropWidth)) "
                            + "is the model's image_size (\(imageSize))")
                }
                preprocessing = .clip(clip)
            case .hpsv2:
                preprocessing = .openCLIP(OpenCLIPImagePreprocessing(size: imageSize))
            }
        } catch let error as RewardError {
            throw error
        } catch {
            throw options.invalid(
                Self.processorOption, processorPath,
                expected:
                    "a folder with the model's tokenizer (vocab.json and merges.txt, or tokenizer.json) (\(error))")
        }
        guard tokenizer.vocabulary.count <= model.configuration.text.vocabularySize,
            tokenizer.endTokenID < model.configuration.text.vocabularySize
        else {
            throw options.invalid(
                Self.processorOption, processorPath,
                expected: "a tokenizer for the model's \(model.configuration.text.vocabularySize)-token vocabulary "
                    + "(this one has \(tokenizer.vocabulary.count) tokens)")
        }
        self.init(
            kind: kind, model: model, tokenizer: tokenizer, preprocessing: preprocessing, batchSize: batchSize,
            device: device, dtype: dtype)
    }

    /// `folder/tokenizer` when it exists (a pipeline-style layout), else `folder`.
    static func tokenizerFolder(in folder: URL) -> URL {
        let nested = folder.appendingPathComponent("tokenizer")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: nested.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return nested
        }
        return folder
    }

    public var name: String { kind.rawValue }
    public var unit: String { kind.unit }
    public var usesLibtorch: Bool { true }

    public func score(_ input: RewardInput) async throws -> RewardBatch {
        RewardBatch(rewards: scores(input.images, prompts: input.prompts))
    }

    /// The scores, synchronously, on the calling thread: image i against prompt i.
    public func scores(_ images: [RGBImage], prompts: [String]) -> [Double] {
        precondition(
            images.count == prompts.count, "CLIPPreferenceReward: \(prompts.count) prompts for \(images.count) images")
        var scores: [Double] = []
        scores.reserveCapacity(images.count)
        for start in stride(from: 0, to: images.count, by: batchSize) {
            let range = start..<min(start + batchSize, images.count)
            let (text, image) = embeddings(Array(images[range]), prompts: Array(prompts[range]))
            let cosine = withNoGrad { (normalised(text) * normalised(image)).sum(dims: [1]) }
            let scale = kind == .pickScore ? exp(model.logitScale) : 1
            scores += cosine.to(dtype: .float64).to(device: .cpu).toArray(Double.self).map { scale * $0 }
        }
        return scores
    }

    /// The text and image embeddings [B, projection] in float32 (not normalised).
    public func embeddings(_ images: [RGBImage], prompts: [String]) -> (text: Tensor, image: Tensor) {
        withNoGrad {
            let ids = tokenizer(prompts).to(device: device)
            let pixels = preprocessing.pixelValues(images).to(dtype: dtype, device: device)
            return (
                model.textEmbeddings(ids).to(dtype: .float32), model.imageEmbeddings(pixels).to(dtype: .float32)
            )
        }
    }

    private func normalised(_ x: Tensor) -> Tensor {
        x / x.norm(dims: [1], keepDim: true)
    }
}
