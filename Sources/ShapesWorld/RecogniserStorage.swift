import Files
import Foundation
import Torch
import TorchNN

/// A recogniser on disk: a folder with config.json (the configuration) and
/// recogniser.safetensors (the parameters, by their module paths).
extension ShapesRecogniser {
    public static let configurationFileName = "config.json"
    public static let weightsFileName = "recogniser.safetensors"

    public func save(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(configuration)
        try AtomicFile.write(path: folder.appendingPathComponent(Self.configurationFileName).path, bytes: Array(json))
        try Safetensors.save(parameterDictionary(), to: folder.appendingPathComponent(Self.weightsFileName))
    }

    /// Loads strictly (every parameter present with its shape, nothing extra), in
    /// evaluation mode; errors name the file.
    public static func load(from folder: URL) throws -> ShapesRecogniser {
        let configuration = try ConfigurationFile.decode(
            Configuration.self, from: folder.appendingPathComponent(configurationFileName))
        let recogniser = ShapesRecogniser(configuration: configuration)
        let weightsURL = folder.appendingPathComponent(weightsFileName)
        let weights = try Safetensors.load(weightsURL)
        do {
            try recogniser.load(parameters: weights)
        } catch let error as ModuleLoadingError {
            throw ConfigurationFileError(path: weightsURL.path, message: error.description)
        }
        recogniser.eval()
        return recogniser
    }
}
