/// A command that cannot do what it was asked for a reason other than how it was
/// called: a run folder without checkpoints, a folder that cannot be read. The
/// argument parser prints it as one line, "Error: <description>", without the
/// usage text that a `ValidationError` brings: the usage is not what went wrong.
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
