import Foundation
import ImageCodecs
import Rewards
import TestSupport
import Torch
import TorchNN
import XCTest

/// Tests/Fixtures/aesthetic (scripts/golden/aesthetic.py): a tiny random CLIP vision
/// tower (image 32, projection 768), three PNG images and transformers' outputs.
enum AestheticFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/aesthetic")
    static let clip = root.appendingPathComponent("clip")
    static let names = ["landscape", "portrait", "square"]

    static func reference(_ name: String) throws -> Tensor {
        try SafetensorsFile(url: root.appendingPathComponent("reference.safetensors")).tensor(named: name)
    }

    static func images() throws -> [RGBImage] {
        try names.map { try RGBImage(contentsOfPNG: root.appendingPathComponent("\($0).png")) }
    }

    /// The script's head, rebuilt: PyTorch's default init after manual_seed(mlp_seed),
    /// weights times mlp_weight_gain (the file would be 3.7 MB, so it is not committed).
    static func predictor() throws -> AestheticPredictor {
        let seed = try reference("mlp_seed").itemInt()
        let gain = try reference("mlp_weight_gain").item()
        let predictor = withParameterInitialization(.random, generator: Generator(seed: UInt64(seed))) {
            AestheticPredictor()
        }
        withNoGrad {
            for layer in [predictor.layer0, predictor.layer2, predictor.layer4, predictor.layer6, predictor.layer7] {
                layer.weight.multiply(by: gain)
            }
        }
        predictor.eval()
        return predictor
    }

    /// The head written as safetensors into a fresh temporary folder, removed when the test ends.
    static func predictorFile(_ test: XCTestCase) throws -> URL {
        let folder = try temporaryDirectory(test)
        let url = folder.appendingPathComponent("aesthetic-mlp.safetensors")
        try Safetensors.save(predictor().parameterDictionary(), to: url)
        return url
    }

    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        try TestSupport.Fixtures.temporaryDirectory(test, prefix: "AestheticTests")
    }
}
