extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent or JSON null: diffusers
    /// writes null for "the default" in its scheduler configs.
    func valueOrDefault<T: Decodable>(_ key: Key, _ fallback: T) throws -> T {
        guard contains(key), try !decodeNil(forKey: key) else { return fallback }
        return try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}
