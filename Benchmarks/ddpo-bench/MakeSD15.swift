import ArgumentParser
import DiffusionModels
import Foundation
import Pretraining
import Torch
import TorchNN

/// Writes a pipeline folder whose UNet has Stable Diffusion 1.5's architecture
/// (blocks 320/640/1280/1280, 2 ResNets per level, 8 heads, cross-attention 768,
/// 64×64 latents: about 860 M parameters) with random weights, so the memory of a
/// DDPO epoch at SD scale can be measured without downloading a checkpoint. Only
/// the UNet is SD-sized: the text encoder is one CLIP layer of width 768 (SD's
/// width, so the cross-attention shapes are SD's) and the VAE has four levels of
/// 32 channels (SD's 8× downsampling, so images are 512×512, at a fraction of SD's
/// VAE cost). Weights are PyTorch's default initialisation, which is all a memory
/// and timing measurement needs.
struct MakeSD15: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-sd15", abstract: "Writes a random-weight pipeline with an SD-1.5-architecture UNet.")

    @Option(help: "Output folder (replaced if it exists).")
    var out: String

    func run() throws {
        let tokenizer = try WordTokenizerFolder(words: [])
        let endTokenID = try tokenizer.tokenizer().endTokenID
        let text = CLIPTextConfiguration(
            vocabularySize: tokenizer.vocabulary.count, hiddenSize: 768,
            intermediateSize: 3072, layerCount: 1, attentionHeadCount: 12,
            maxPositionEmbeddings: 77, activation: .quickGELU, layerNormEpsilon: 1e-5,
            projectionDimension: 768, endTokenID: endTokenID)
        var unet = UNet2DConditionConfiguration(
            blockOutChannels: [320, 640, 1280, 1280],
            downBlockTypes: ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
            upBlockTypes: ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
            crossAttentionDim: .same(768), attentionHeadDim: .same(8))
        unet.sampleSize = 64
        unet.layersPerBlock = .same(2)
        unet.normNumGroups = 32
        var vae = AutoencoderKLConfiguration(
            blockOutChannels: [32, 32, 32, 32],
            downBlockTypes: Array(repeating: "DownEncoderBlock2D", count: 4),
            upBlockTypes: Array(repeating: "UpDecoderBlock2D", count: 4))
        vae.layersPerBlock = 1
        vae.normNumGroups = 32
        func weights(_ module: Module) -> [String: Tensor] {
            module.namedParameters().reduce(into: [:]) { $0[$1.name] = $1.tensor.detached() }
        }
        let unetModel = try UNet2DConditionModel(configuration: unet)
        let count = unetModel.namedParameters().reduce(0) { $0 + $1.tensor.shape.reduce(1, *) }
        try DiffusersFolderWriter.write(
            .init(
                tokenizer: tokenizer, textEncoder: text,
                textEncoderWeights: weights(CLIPTextModel(configuration: text)),
                unet: unet, unetWeights: weights(unetModel), vae: vae,
                vaeWeights: weights(try AutoencoderKL(configuration: vae))),
            to: URL(fileURLWithPath: out))
        print("wrote \(out): UNet with \(count) parameters")
    }
}
