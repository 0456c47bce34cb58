import TorchNN

/// A diffusers model folder whose weights cannot be loaded; `path` is the folder or file.
public struct DiffusersModelError: Error, CustomStringConvertible {
    public enum Problem {
        /// None of the weight files looked for exists.
        case noWeights(lookedFor: [String])
        /// Only PyTorch pickle weights (`.bin`) exist. We never unpickle: loading a
        /// pickle can run arbitrary code.
        case pickleWeights(file: String, modelClass: String)
        /// The weights do not fit the model built from config.json.
        case weightsDoNotFit(ModuleLoadingError)
    }

    public var path: String
    public var problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .noWeights(let names):
            return "\(path): no weights found (looked for \(names.joined(separator: ", ")))"
        case .pickleWeights(let file, let modelClass):
            return """
                \(path): only PyTorch pickle weights (\(file)) were found, and pickles are never loaded \
                (unpickling can run arbitrary code). Convert the folder to safetensors, e.g. in Python: \
                diffusers.\(modelClass).from_pretrained(folder).save_pretrained(folder, safe_serialization=True)
                """
        case .weightsDoNotFit(let error):
            return "\(path): \(error)"
        }
    }
}
