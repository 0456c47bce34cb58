import ArgumentParser
import DDPO
import Foundation

/// An option the command does not have ("ddpo train --confg X"). The argument
/// parser names such an option only after the command's own checks have run, so
/// a misspelt option shows as the complaint its absence causes ("give --config
/// FILE or --resume RUN_DIR"); checked before parsing, it is named, with the option
/// that was most likely meant, in the parser's own words.
enum UnknownOption {
    /// The error for `arguments` (starting with the command's name), or nil when every
    /// `--name` in them is one of the command's options.
    static func message(_ arguments: [String], command: ParsableCommand.Type) -> String? {
        let options = longOptions(of: command)
        guard !options.isEmpty else { return nil }
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" { break }  // what follows is positional
            guard argument.hasPrefix("--") else { continue }
            let name = String(argument.dropFirst(2).prefix { $0 != "=" })
            guard let takesValue = options[name] else {
                let meant = Suggestion.closest(to: name, among: options.keys.sorted()).map {
                    " Did you mean '--\($0)'?"
                }
                return "Unknown option '--\(name)'." + (meant ?? "")
            }
            // The next argument is this option's value, whatever it looks like.
            if takesValue && !argument.contains("=") { index += 1 }
        }
        return nil
    }

    /// The command's long option names (without "--"), each with whether it takes a
    /// value, from the description the argument parser gives of the command
    /// (`--experimental-dump-help`'s JSON).
    static func longOptions(of command: ParsableCommand.Type) -> [String: Bool] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(command._dumpHelp().utf8)) as? [String: Any],
            let description = json["command"] as? [String: Any],
            let arguments = description["arguments"] as? [[String: Any]]
        else { return [:] }
        var options: [String: Bool] = [:]
        for argument in arguments {
            let takesValue = argument["kind"] as? String == "option"
            for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                if let text = name["name"] as? String { options[text] = takesValue }
            }
        }
        return options
    }
}
