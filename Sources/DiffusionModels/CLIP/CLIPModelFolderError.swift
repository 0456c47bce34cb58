/// A CLIP model folder (text encoder or vision tower) without usable weights.
public struct CLIPModelFolderError: Error, CustomStringConvertible, Equatable {
    public var directory: String
    public var message: String

    public init(directory: String, message: String) {
        self.directory = directory
        self.message = message
    }

    public var description: String { "\(directory): \(message)" }
}
