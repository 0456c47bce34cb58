/// A pretraining run that cannot go on (bad settings, an unbuildable vocabulary).
public struct PretrainingError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
