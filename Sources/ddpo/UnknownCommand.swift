import DDPO

/// A first argument that names no command ("ddpo trian --config X"). Left to the
/// argument parser, it is reported as the first option the top level does not
/// know ("Unknown option '--config'"), which points away from the typo; checked
/// before parsing, it is named, with the command that was most likely meant.
enum UnknownCommand {
    /// The error for `arguments`, or nil when the first argument is an option, a
    /// command or missing (those the argument parser handles well).
    static func message(_ arguments: [String], commands: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-"), !commands.contains(first) else { return nil }
        if let meant = Suggestion.closest(to: first, among: commands) {
            return "Unknown command '\(first)'. Did you mean '\(meant)'?"
        }
        return "Unknown command '\(first)'; the commands are \(commands.joined(separator: ", "))"
    }
}
