/// A module path that names no module, or a replacement that does not fit its slot.
public struct ModulePathError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "module '\(path)': \(message)" }
}

extension Module {
    /// The descendant at a dotted path ("" is this module). Keys may themselves
    /// contain dots ("to_out.0"), so each step matches a whole child key.
    public func module(at path: String) -> Module? {
        locate(path).map { $0.module }
    }

    /// Puts `module` where the module at `path` is. Throws when nothing is there or
    /// when `module` is not of the type the slot is declared with (a `LoRALinear`
    /// fits a `Linear` slot; a `Conv2d` does not).
    public func replaceModule(at path: String, with module: Module) throws {
        guard let place = locate(path) else {
            throw ModulePathError(path: path, message: "no such module")
        }
        guard let parent = place.parent else {
            throw ModulePathError(path: path, message: "the root module cannot be replaced")
        }
        guard parent.slot.replace(at: parent.index, with: module) else {
            throw ModulePathError(
                path: path,
                message: "a \(type(of: module)) does not fit the slot holding a \(type(of: place.module))")
        }
    }

    /// The module at `path` and the slot of its parent that holds it (nil for "").
    private func locate(_ path: String)
        -> (module: Module, parent: (slot: AnyChildSlot, index: Int)?)?
    {
        if path.isEmpty { return (self, nil) }
        for entry in childEntries {
            if entry.key == path {
                return (entry.module, (entry.slot, entry.index))
            }
            if path.hasPrefix(entry.key + "."),
                let found = entry.module.locate(String(path.dropFirst(entry.key.count + 1))),
                found.parent != nil
            {
                return found
            }
        }
        return nil
    }
}
