import Foundation
import Torch
import XCTest

/// A seeded mutation fuzzer: for FUZZ_SECONDS (3 by default, as in CI; `make fuzz` runs longer) it takes a
/// valid input (a folder of one or more files), mutates it and feeds it to a parser, which must either
/// return or throw. A trap kills the test process: the case it died on is in
/// `$TMPDIR/fuzz-<target>-current/` (the files, and CASE.txt with the seed and iteration that replay it:
/// `FUZZ_SEED=S FUZZ_ITERATION=N`). A case running longer than `hangSeconds` is reported as a hang by a
/// watchdog, which ends the process the same way.
struct Fuzzer {
    /// One input: file path (relative to the case folder) → contents.
    typealias Files = [String: [UInt8]]

    /// A property an input broke without a trap (the test fails, naming the case).
    struct PropertyViolation: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static let defaultSeconds = 3.0
    static let defaultSeed: UInt64 = 0x5EED_F022
    static let hangSeconds = 30.0

    let target: String
    let seconds: Double
    let seed: UInt64
    /// FUZZ_ITERATION: only this case, printed in full.
    let replay: Int?
    let caseDirectory: URL

    init(target: String) {
        let environment = ProcessInfo.processInfo.environment
        self.target = target
        seconds = environment["FUZZ_SECONDS"].flatMap(Double.init).map { max($0, 0) } ?? Self.defaultSeconds
        seed =
            environment["FUZZ_SEED"].flatMap { text in
                text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
            } ?? Self.defaultSeed
        replay = environment["FUZZ_ITERATION"].flatMap(Int.init)
        caseDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(target)-current")
    }

    var seedText: String { "0x" + String(seed, radix: 16) }

    /// Runs `parse` on mutations of `corpus` until the time is up; `parse` gets the case folder. Errors it
    /// throws are rejections (their descriptions are made, so those cannot trap unseen either), except a
    /// `PropertyViolation`, which fails the test.
    func run(
        corpus: [Files], mutableFiles: Set<String>? = nil, file: StaticString = #filePath, line: UInt = #line,
        parse: (URL) throws -> Void
    ) {
        precondition(!corpus.isEmpty)
        let watchdog = Watchdog(limit: Self.hangSeconds)
        defer { watchdog.stop() }
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = start + UInt64(seconds * 1e9)
        var tried = 0
        var accepted = 0
        var violations = 0
        var written: Set<String> = []
        try? FileManager.default.removeItem(at: caseDirectory)
        var iteration = replay ?? 0
        repeat {
            var generator = SplitMix64(seed: seed, index: iteration)
            let files = Self.mutate(corpus, mutableFiles: mutableFiles, generator: &generator)
            let label = "fuzz \(target): seed \(seedText) iteration \(iteration)"
            write(files, label: label, replacing: &written)
            if replay != nil { print(Self.describe(files, limit: 100_000)) }
            watchdog.begin(label)
            do {
                try parse(caseDirectory)
                accepted += 1
            } catch let violation as PropertyViolation {
                violations += 1
                XCTFail(
                    "\(label): \(violation) (replay: FUZZ_SEED=\(seedText) FUZZ_ITERATION=\(iteration))\n"
                        + Self.describe(files, limit: 2000), file: file, line: line)
            } catch {
                _ = String(describing: error)
            }
            watchdog.end()
            tried += 1
            iteration += 1
        } while replay == nil && DispatchTime.now().uptimeNanoseconds < deadline
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try? FileManager.default.removeItem(at: caseDirectory)
        print(
            "fuzz \(target): \(tried) inputs in \(String(format: "%.1f", elapsed)) s, seed \(seedText), 0 crashes, "
                + "\(violations) property violations (\(accepted) accepted, \(tried - accepted) rejected)")
    }

    /// The case's files, written before it is parsed, so that a trap leaves them behind; the previous
    /// case's files that this one lacks are removed.
    private func write(_ files: Files, label: String, replacing written: inout Set<String>) {
        let manager = FileManager.default
        func put(_ bytes: [UInt8], _ path: String) {
            let url = caseDirectory.appendingPathComponent(path)
            if !manager.createFile(atPath: url.path, contents: Data(bytes)) {
                try? manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard manager.createFile(atPath: url.path, contents: Data(bytes)) else {
                    fatalError("fuzz \(target): cannot write the case to \(url.path)")
                }
            }
        }
        let iteration = label.split(separator: " ").last!
        put(
            Array(
                "\(label)\nreplay: FUZZ_SEED=\(seedText) FUZZ_ITERATION=\(iteration) swift test --filter FuzzTests\n"
                    .utf8), "CASE.txt")
        for path in written.subtracting(files.keys) {
            try? manager.removeItem(at: caseDirectory.appendingPathComponent(path))
        }
        for (path, bytes) in files { put(bytes, path) }
        written = Set(files.keys)
    }

    /// The files as text (or hex, when not UTF-8), each cut to `limit` characters.
    static func describe(_ files: Files, limit: Int) -> String {
        files.sorted { $0.key < $1.key }.map { path, bytes in
            let shown = bytes.prefix(limit)
            let text =
                String(validatingUTF8: shown.map { CChar(bitPattern: $0) } + [0])
                ?? shown.map { String(format: "%02x", $0) }.joined()
            let more = bytes.count > limit ? " … (\(bytes.count) bytes)" : ""
            return "--- \(path) (\(bytes.count) bytes):\n\(text)\(more)"
        }.joined(separator: "\n")
    }

    /// One case: a corpus entry with one file (sometimes two) mutated, or a file removed.
    static func mutate(_ corpus: [Files], mutableFiles: Set<String>?, generator: inout SplitMix64) -> Files {
        var files = corpus[generator.below(corpus.count)]
        let candidates = files.keys.filter { mutableFiles?.contains($0) ?? true }.sorted()
        guard !candidates.isEmpty else { return files }
        let changes = generator.below(8) == 0 ? 2 : 1
        for _ in 0..<changes {
            let path = candidates[generator.below(candidates.count)]
            if candidates.count > 1 && generator.below(40) == 0 {
                files[path] = nil
            } else if let bytes = files[path] {
                let donorFiles = corpus[generator.below(corpus.count)]
                let donorPaths = donorFiles.keys.sorted()
                let donor = donorFiles[donorPaths[generator.below(donorPaths.count)]] ?? []
                files[path] = Mutator.mutate(bytes, donor: donor, generator: &generator)
            }
        }
        return files
    }
}

/// Ends the process, naming the case, when one case runs longer than `limit` seconds.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var started: UInt64?
    private var label = ""
    private var stopped = false

    init(limit: Double) {
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                let (started, label, stopped) = lock.withLock { (self.started, self.label, self.stopped) }
                if stopped { return }
                if let started, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 > limit {
                    FileHandle.standardError.write(
                        Data("\(label): HANG (over \(limit) s on one input); its files are in the case folder\n".utf8))
                    abort()
                }
            }
        }
        thread.start()
    }

    func begin(_ label: String) {
        lock.withLock {
            started = DispatchTime.now().uptimeNanoseconds
            self.label = label
        }
    }

    func end() { lock.withLock { started = nil } }
    func stop() { lock.withLock { stopped = true } }
}
