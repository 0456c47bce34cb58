import DiffusionModels
import Pretraining
import Schedulers
import Torch
import XCTest

/// A few steps on solid colours must lower each loss: the loops wire gradients,
/// optimiser and data correctly. Small models keep this to seconds.
final class TrainingLoopTests: XCTestCase {
    let dataset = SolidColorDataset(side: 16)

    static func smallVAE() throws -> AutoencoderKL {
        var c = AutoencoderKLConfiguration(
            blockOutChannels: [8, 16], downBlockTypes: ["DownEncoderBlock2D", "DownEncoderBlock2D"],
            upBlockTypes: ["UpDecoderBlock2D", "UpDecoderBlock2D"])
        c.normNumGroups = 4
        return try AutoencoderKL(configuration: c)
    }

    func testVAEStepsLowerTheReconstructionLoss() throws {
        Runtime.manualSeed(1)
        let vae = try Self.smallVAE()
        let training = VAEPretraining(vae: vae, settings: .init(steps: 30, batchSize: 8, learningRate: 3e-3, seed: 2))
        let held = dataset.batch(seed: 99, first: 0, count: 8).images
        let before = training.evaluate(images: held)
        training.run(dataset: dataset)
        let after = training.evaluate(images: held)
        XCTAssertLessThan(after, before * 0.7, "before \(before) after \(after)")
    }

    func testDenoiserStepsLowerTheDDPMLoss() throws {
        Runtime.manualSeed(3)
        let folder = try WordTokenizerFolder(words: dataset.vocabulary)
        let tokenizer = try folder.tokenizer()
        let textEncoder = CLIPTextModel(
            configuration: CLIPTextConfiguration(
                vocabularySize: folder.vocabulary.count, hiddenSize: 16, intermediateSize: 32, layerCount: 1,
                attentionHeadCount: 2, endTokenID: tokenizer.endTokenID))
        var c = UNet2DConditionConfiguration(
            blockOutChannels: [16, 16], downBlockTypes: ["DownBlock2D", "CrossAttnDownBlock2D"],
            upBlockTypes: ["CrossAttnUpBlock2D", "UpBlock2D"],
            crossAttentionDim: .same(16), attentionHeadDim: .same(2))
        c.normNumGroups = 4
        c.layersPerBlock = .same(1)
        let unet = try UNet2DConditionModel(configuration: c)
        let vae = try Self.smallVAE()
        vae.eval()
        let training = DenoiserPretraining(
            tokenizer: tokenizer, textEncoder: textEncoder, unet: unet, vae: vae,
            schedule: NoiseSchedule(.stableDiffusion), latentScale: 1,
            settings: .init(steps: 40, batchSize: 16, learningRate: 3e-3, seed: 4))
        let held = dataset.batch(seed: 99, first: 0, count: 32)
        let before = training.evaluate(images: held.images, captions: held.captions, seed: 5)
        training.run(dataset: dataset)
        let after = training.evaluate(images: held.images, captions: held.captions, seed: 5)
        XCTAssertLessThan(after, before * 0.8, "before \(before) after \(after)")
        XCTAssertEqual(Set(training.weights(of: "unet").keys), Set(unet.parameterDictionary().keys))
    }
}
