import Foundation

/// The configuration most trainer tests start from: a short run on the tiny random
/// SD1 pipeline (`PolicyUpdateTests.tinySD1`), 2 epochs of 2 sampling batches × 2
/// samples with 4 DDIM steps, train batches of 2, batch advantages, one thread.
///
/// `changes` replace the value of a top-level key, remove it (nil), or append a key
/// the defaults lack, so that each test writes only what it is about. A value that
/// starts with a newline is a block (e.g. a `tasks:` list indented by two spaces).
func tinyRunYAML(name: String, runs: URL, _ changes: KeyValuePairs<String, String?> = [:]) -> String {
    var entries: [(key: String, value: String)] = [
        ("run_name", name),
        ("seed", "5"),
        ("log_dir", runs.path),
        ("epochs", "2"),
        ("save_freq", "1"),
        ("checkpoints_kept", "3"),
        ("model", PolicyUpdateTests.tinySD1.path),
        ("threads", "1"),
        ("prompt", #"{name: fixed, prompts: ["a red circle", "a blue square"]}"#),
        ("reward", "jpeg_compressibility"),
        ("sample", "{num_steps: 4, batch_size: 2, num_batches_per_epoch: 2}"),
        ("train", "{batch_size: 2, gradient_accumulation_steps: 1, learning_rate: 3.0e-3, clip_range: 1.0e-2}"),
        ("advantages", "{strategy: batch}")
    ]
    for (key, value) in changes {
        let index = entries.firstIndex { $0.key == key }
        switch (index, value) {
        case (let index?, let value?): entries[index].value = value
        case (let index?, nil): entries.remove(at: index)
        case (nil, let value?): entries.append((key, value))
        case (nil, nil): preconditionFailure("tinyRunYAML: no key '\(key)' to remove")
        }
    }
    return entries.map { $0.value.hasPrefix("\n") ? "\($0.key):\($0.value)" : "\($0.key): \($0.value)" }
        .joined(separator: "\n")
}

/// A fresh folder for one test's runs under the temporary directory (not created:
/// the trainer makes it); the test removes it.
func temporaryRunsFolder(_ label: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID())")
}
