import AsyncHTTPClient
import DDPO
import Foundation
import ImageCodecs
import Labelling
import Logging
import NIOCore
import TestSupport
import XCTest

/// The labelling server started in-process on a free port of 127.0.0.1, over a
/// temporary run folder whose epochs the tests publish as the trainer does, and
/// talked to over HTTP as the page does.
final class LabellingServerTests: XCTestCase {
    static let token = LabellingToken("test-token-5f1c2a")!

    // MARK: Set-up

    /// A run folder with `pairs` pairs of tiny PNGs published for `epoch`.
    @discardableResult
    func publish(in run: URL, epoch: Int, pairs: Int = 3, required: Int = 2) throws -> [[UInt8]] {
        var images: [[UInt8]] = []
        var published: [(prompt: String, first: [UInt8], second: [UInt8])] = []
        for index in 0..<pairs {
            let first = try Self.png(shade: UInt8(index * 40 + epoch))
            let second = try Self.png(shade: UInt8(index * 40 + epoch + 20))
            images += [first, second]
            published.append(("prompt \(index) of epoch \(epoch)", first, second))
        }
        try PreferenceFolder(runDirectory: run).publish(
            epoch: epoch, task: "shapes", pairs: published, required: required)
        return images
    }

    static func png(shade: UInt8) throws -> [UInt8] {
        try RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: shade, count: 4 * 4 * 3)).pngData()
    }

    /// A running server over `run`: its base URL, and the task to cancel to stop it.
    struct RunningServer {
        var base: String
        var task: Task<Void, Error>

        func stop() async {
            task.cancel()
            _ = await task.result
        }
    }

    func start(_ run: URL, port: Int = 0) async throws -> RunningServer {
        var logger = Logger(label: "labelling-tests")
        // Stopping a test server cancels its task, which Hummingbird logs as an error.
        logger.logLevel = .critical
        let server = LabellingServer(runDirectory: run, host: "127.0.0.1", port: port, token: Self.token)
        let (urls, continuation) = AsyncStream<String>.makeStream()
        let task = Task {
            defer { continuation.finish() }
            try await server.run(logger: logger) { url in continuation.yield(url) }
        }
        var iterator = urls.makeAsyncIterator()
        guard let url = await iterator.next() else {
            let result = await task.result
            throw XCTSkip("the server did not start: \(result)")
        }
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:"), url)
        XCTAssertTrue(url.hasSuffix("/?token=\(Self.token.value)"), url)
        let port = try XCTUnwrap(URLComponents(string: url)?.port)
        XCTAssertGreaterThan(port, 0, "port 0 must be reported as the port bound")
        return RunningServer(base: "http://127.0.0.1:\(port)", task: task)
    }

    /// Starts a server over a fresh run folder, runs `body`, stops the server.
    func withServer(
        publishing epochs: [Int] = [0], _ body: (_ server: RunningServer, _ run: URL) async throws -> Void
    ) async throws {
        let run = try Fixtures.temporaryDirectory(self, prefix: "ddpo-label")
        for epoch in epochs { try publish(in: run, epoch: epoch) }
        let server = try await start(run)
        do {
            try await body(server, run)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    // MARK: HTTP

    struct Reply {
        var status: Int
        var contentType: String?
        var bytes: [UInt8]
        var text: String { String(decoding: bytes, as: UTF8.self) }

        func json() throws -> [String: Any] {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], text)
        }

        /// The `error` of a JSON error answer.
        func error() throws -> String {
            try XCTUnwrap(json()["error"] as? String, text)
        }
    }

    /// GET or POST `path` (which may have a query), with `token` added unless nil.
    func send(
        _ server: RunningServer, _ path: String, token: String? = LabellingServerTests.token.value,
        post body: String? = nil
    ) async throws -> Reply {
        var url = server.base + path
        if let token { url += (path.contains("?") ? "&" : "?") + "token=\(token)" }
        var request = HTTPClientRequest(url: url)
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
            bytes: Array(buffer: bytes))
    }

    func label(_ server: RunningServer, epoch: Int = 0, pair: Int, choice: String) async throws -> Reply {
        try await send(server, "/api/label", post: #"{"epoch": \#(epoch), "pair": \#(pair), "choice": "\#(choice)"}"#)
    }

    /// Asserts a reply's status (XCTAssert's arguments cannot await).
    func expect(_ status: Int, _ reply: Reply, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(reply.status, status, reply.text, file: file, line: line)
    }

    func labelsFile(_ run: URL, epoch: Int = 0) -> URL {
        PreferenceFolder(runDirectory: run).labelsFile(epoch)
    }

    // MARK: The page and the token

    func testThePageIsServedOnlyWithTheToken() async throws {
        try await withServer { server, _ in
            let page = try await send(server, "/")
            XCTAssertEqual(page.status, 200)
            XCTAssertEqual(page.contentType, "text/html; charset=utf-8")
            for id in ["choose-first", "choose-second", "choose-equal", "choose-skip", "progress", "prompt"] {
                XCTAssertTrue(page.text.contains(#"id="\#(id)""#), "the page has no #\(id)")
            }
            XCTAssertFalse(
                page.text.contains("http://") || page.text.contains("https://"), "loads nothing from elsewhere")

            let wrongTokens: [String?] = [
                nil, "", "wrong", "test-token-5f1c2", "test-token-5f1c2ab", "TEST-TOKEN-5F1C2A"
            ]
            for token in wrongTokens {
                let refused = try await send(server, "/", token: token)
                XCTAssertEqual(refused.status, 403, "token \(token ?? "none")")
                XCTAssertEqual(refused.contentType, "text/plain; charset=utf-8")
                XCTAssertTrue(refused.text.contains("wrong or missing token"), refused.text)
                XCTAssertFalse(refused.text.contains("choose-first"))
                let api = try await send(server, "/api/state", token: token)
                XCTAssertEqual(api.status, 403)
                XCTAssertTrue(try api.error().contains("open the URL that `ddpo label` printed"))
            }
        }
    }

    func testTokens() throws {
        let first = LabellingToken.random()
        let second = LabellingToken.random()
        XCTAssertEqual(first.value.count, 32)
        XCTAssertTrue(first.value.allSatisfy(\.isHexDigit), first.value)
        XCTAssertNotEqual(first.value, second.value)
        XCTAssertTrue(first.matches(first.value))
        XCTAssertFalse(first.matches(second.value))
        XCTAssertFalse(first.matches(String(first.value.dropLast())))
        XCTAssertFalse(first.matches(first.value + "0"))
        XCTAssertFalse(first.matches(""))
        XCTAssertNil(LabellingToken(""))
        XCTAssertNil(LabellingToken("a b"))
        XCTAssertNil(LabellingToken("a&b=c"))
        XCTAssertNil(LabellingToken(String(repeating: "a", count: 257)))
        XCTAssertEqual(
            LabellingToken.problem(with: "a/b"),
            "the token has the character '/'; use letters, digits, '-', '.', '_' or '~'")
        XCTAssertNotNil(LabellingToken("Ab0-._~"))
    }

    // MARK: State

    func testStateListsTheNewestEpochsPairs() async throws {
        try await withServer(publishing: [0, 1]) { server, _ in
            let reply = try await send(server, "/api/state")
            XCTAssertEqual(reply.status, 200)
            XCTAssertEqual(reply.contentType, "application/json")
            let state = try reply.json()
            XCTAssertEqual(state["epoch"] as? Int, 1)
            XCTAssertEqual(state["task"] as? String, "shapes")
            XCTAssertEqual(state["required"] as? Int, 2)
            XCTAssertEqual(state["answered"] as? Int, 0)
            let pairs = try XCTUnwrap(state["pairs"] as? [[String: Any]])
            XCTAssertEqual(pairs.count, 3)
            XCTAssertEqual(pairs[2]["id"] as? Int, 2)
            XCTAssertEqual(pairs[2]["prompt"] as? String, "prompt 2 of epoch 1")
            XCTAssertEqual(
                pairs[2]["images"] as? [String], ["/images/1/pair-0002-first.png", "/images/1/pair-0002-second.png"])
            XCTAssertTrue(pairs[2]["choice"] is NSNull, "an unanswered pair has choice null: \(pairs[2])")

            expect(200, try await label(server, epoch: 1, pair: 2, choice: "second"))
            let after = try await send(server, "/api/state").json()
            XCTAssertEqual(after["answered"] as? Int, 1)
            let answered = try XCTUnwrap(after["pairs"] as? [[String: Any]])
            XCTAssertEqual(answered[2]["choice"] as? String, "second")
            XCTAssertTrue(answered[0]["choice"] is NSNull)
        }
    }

    func testARunWithoutPreferencesWaits() async throws {
        try await withServer(publishing: []) { server, run in
            XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("preferences").path))
            expect(200, try await send(server, "/"))
            let state = try await send(server, "/api/state").json()
            XCTAssertTrue(state["epoch"] is NSNull, "\(state)")
            XCTAssertEqual((state["pairs"] as? [Any])?.count, 0)
            let refused = try await label(server, pair: 0, choice: "first")
            XCTAssertEqual(refused.status, 409)
            XCTAssertTrue(try refused.error().contains("published no pairs"), refused.text)

            // The page picks up an epoch published while it runs.
            try publish(in: run, epoch: 0)
            let published = try await send(server, "/api/state")
            XCTAssertEqual(try published.json()["epoch"] as? Int, 0)
        }
    }

    func testAnUnreadablePairsFileIsA500NamingIt() async throws {
        try await withServer { server, run in
            let pairsFile = PreferenceFolder(runDirectory: run).epochDirectory(0).appendingPathComponent("pairs.json")
            try Data("{ not json".utf8).write(to: pairsFile)
            let reply = try await send(server, "/api/state")
            XCTAssertEqual(reply.status, 500)
            XCTAssertTrue(try reply.error().contains(pairsFile.path), reply.text)
        }
    }

    // MARK: Images

    func testOnlyTheListedImagesAreServed() async throws {
        let run = try Fixtures.temporaryDirectory(self, prefix: "ddpo-label")
        let images = try publish(in: run, epoch: 0)
        let server = try await start(run)
        do {
            let image = try await send(server, "/images/0/pair-0001-second.png")
            XCTAssertEqual(image.status, 200)
            XCTAssertEqual(image.contentType, "image/png")
            XCTAssertEqual(image.bytes, images[3])

            expect(403, try await send(server, "/images/0/pair-0001-second.png", token: nil))
            for path in [
                "/images/0/pairs.json", "/images/0/..%2Fpairs.json", "/images/0/%2e%2e",
                "/images/0/%2e%2e%2fpairs.json",
                "/images/0/../pairs.json", "/images/0/..", "/images/1/pair-0000-first.png", "/images/-1/x.png",
                "/images/x/pair-0000-first.png", "/images/0/pair-0009-first.png", "/images/0/pair-0000-first.png/x",
                "/preferences/epoch-0/pairs.json", "/images/0/%2e%2e/%2e%2e/config.yaml"
            ] {
                let refused = try await send(server, path)
                XCTAssertEqual(refused.status, 404, "\(path): \(refused.text)")
                XCTAssertFalse(refused.text.contains("\"pairs\""), "\(path) served the pairs file")
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    // MARK: Labels

    func testALabelIsRecorded() async throws {
        try await withServer { server, run in
            let reply = try await label(server, pair: 1, choice: "second")
            XCTAssertEqual(reply.status, 200, reply.text)
            let answer = try reply.json()
            XCTAssertEqual(answer["answered"] as? Int, 1)
            XCTAssertEqual(answer["required"] as? Int, 2)
            XCTAssertEqual(answer["pairs"] as? Int, 3)
            let labels = try PreferenceFolder(runDirectory: run).labels(epoch: 0)
            XCTAssertEqual(labels.count, 1)
            XCTAssertEqual(labels[1]?.choice, .second)
            XCTAssertNotNil(labels[1]?.time)

            for (pair, choice) in [(0, "skip"), (2, "equal")] {
                expect(200, try await label(server, pair: pair, choice: choice))
            }
            let all = try PreferenceFolder(runDirectory: run).labels(epoch: 0)
            XCTAssertEqual(all.mapValues(\.choice), [0: .skip, 1: .second, 2: .equal])
        }
    }

    func testRelabellingAPairReplacesItsChoice() async throws {
        try await withServer { server, run in
            expect(200, try await label(server, pair: 0, choice: "first"))
            let again = try await label(server, pair: 0, choice: "equal")
            XCTAssertEqual(again.status, 200)
            XCTAssertEqual(try again.json()["answered"] as? Int, 1)
            let labels = try PreferenceFolder(runDirectory: run).labels(epoch: 0)
            XCTAssertEqual(labels.mapValues(\.choice), [0: .equal])
            let lines = try String(contentsOf: labelsFile(run), encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "one line per pair: \(lines)")
        }
    }

    func testLabelsSentAtOnceAreAllKept() async throws {
        try await withServer { server, run in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for pair in 0..<3 {
                    group.addTask { try await self.label(server, pair: pair, choice: "first").status }
                }
                for try await status in group { XCTAssertEqual(status, 200) }
            }
            XCTAssertEqual(try PreferenceFolder(runDirectory: run).labels(epoch: 0).count, 3)
        }
    }

    /// Each wrong request is refused with its status and a message naming what is
    /// wrong, and the labels given before stay byte for byte as they were.
    func testRejectedLabelsChangeNothing() async throws {
        try await withServer { server, run in
            expect(200, try await label(server, pair: 0, choice: "first"))
            expect(200, try await label(server, pair: 2, choice: "skip"))
            let before = try Data(contentsOf: labelsFile(run))

            let example = #"{"epoch": 0, "pair": 1, "choice": "second"}"#
            let token: String? = Self.token.value
            let cases: [(body: String, token: String?, status: Int, message: String)] = [
                (example, nil, 403, "wrong or missing token"),
                (example, "nope", 403, "wrong or missing token"),
                ("{ not json", token, 400, "not a JSON object"),
                ("[1, 2]", token, 400, "not a JSON object"),
                ("", token, 400, "not a JSON object"),
                (#"{"pair": 1, "choice": "second"}"#, token, 400, "no 'epoch'"),
                (#"{"epoch": 0, "choice": "second"}"#, token, 400, "no 'pair'"),
                (#"{"epoch": 0, "pair": 1}"#, token, 400, "no 'choice'"),
                (#"{"epoch": 0, "pair": "1", "choice": "second"}"#, token, 400, "'pair' must be a whole number"),
                (#"{"epoch": 0, "pair": 1, "choice": 2}"#, token, 400, "'choice' must be a string"),
                (
                    #"{"epoch": 0, "pair": 1, "choice": "better"}"#, token, 400,
                    "unknown choice 'better': one of first, second, equal, skip"
                ),
                (
                    #"{"epoch": 0, "pair": 3, "choice": "first"}"#, token, 404,
                    "epoch 0 has no pair 3: its pairs are 0 to 2"
                ),
                (#"{"epoch": 0, "pair": -1, "choice": "first"}"#, token, 404, "epoch 0 has no pair -1"),
                (
                    #"{"epoch": 7, "pair": 1, "choice": "first"}"#, token, 409,
                    "pair 1 belongs to epoch 7; the run is labelling epoch 0"
                ),
                (String(repeating: " ", count: 5000) + example, token, 413, "larger than 4096 bytes")
            ]
            for wrong in cases {
                let reply = try await send(server, "/api/label", token: wrong.token, post: wrong.body)
                XCTAssertEqual(reply.status, wrong.status, "\(wrong.body.prefix(60)): \(reply.text)")
                XCTAssertEqual(reply.contentType, "application/json")
                XCTAssertTrue(try reply.error().contains(wrong.message), "\(wrong.body.prefix(60)): \(reply.text)")
                XCTAssertEqual(
                    try Data(contentsOf: labelsFile(run)), before, "\(wrong.body.prefix(60)) changed the labels")
            }
        }
    }

    /// Once the run has published a newer epoch, an answer for the older one (a page
    /// left open) is refused and neither epoch's labels change.
    func testALabelForAnOlderEpochIsAConflict() async throws {
        try await withServer { server, run in
            expect(200, try await label(server, epoch: 0, pair: 1, choice: "first"))
            let before = try Data(contentsOf: labelsFile(run, epoch: 0))
            try publish(in: run, epoch: 1)

            let stale = try await label(server, epoch: 0, pair: 2, choice: "second")
            XCTAssertEqual(stale.status, 409)
            XCTAssertEqual(try stale.error(), "pair 2 belongs to epoch 0; the run is labelling epoch 1")
            XCTAssertEqual(try Data(contentsOf: labelsFile(run, epoch: 0)), before)
            XCTAssertFalse(FileManager.default.fileExists(atPath: labelsFile(run, epoch: 1).path))

            expect(200, try await label(server, epoch: 1, pair: 2, choice: "second"))
            XCTAssertEqual(try PreferenceFolder(runDirectory: run).labels(epoch: 1).mapValues(\.choice), [2: .second])
        }
    }

    func testALabelsFileThatCannotBeReadOrWrittenIsA500NamingIt() async throws {
        try await withServer { server, run in
            // A malformed labels file: refused before anything is written.
            let file = labelsFile(run)
            let damaged = Data("{\"pair\": 0, \"choice\": \"first\"}\nnot a label\n".utf8)
            try damaged.write(to: file)
            let unreadable = try await label(server, pair: 1, choice: "first")
            XCTAssertEqual(unreadable.status, 500)
            XCTAssertTrue(try unreadable.error().contains(file.path), unreadable.text)
            XCTAssertTrue(try unreadable.error().contains("line 2"), unreadable.text)
            XCTAssertEqual(try Data(contentsOf: file), damaged)

            // A folder where the file should be: the atomic rename fails (as root too,
            // where permissions would not stop the write).
            try FileManager.default.removeItem(at: file)
            try FileManager.default.createDirectory(at: file, withIntermediateDirectories: false)
            let unwritable = try await label(server, pair: 1, choice: "first")
            XCTAssertEqual(unwritable.status, 500)
            XCTAssertTrue(try unwritable.error().contains(file.path), unwritable.text)
            XCTAssertTrue(try unwritable.error().hasPrefix("the label was not recorded"), unwritable.text)
        }
    }

    // MARK: Listening

    func testAPortInUseIsNamed() async throws {
        try await withServer { server, run in
            let port = try XCTUnwrap(URLComponents(string: server.base)?.port)
            let second = LabellingServer(runDirectory: run, host: "127.0.0.1", port: port, token: Self.token)
            var logger = Logger(label: "labelling-tests")
            logger.logLevel = .critical
            do {
                try await second.run(logger: logger) { url in XCTFail("a second server listened at \(url)") }
                XCTFail("a second server on port \(port) ran")
            } catch let error as LabellingServerError {
                XCTAssertTrue(error.description.hasPrefix("cannot listen on 127.0.0.1 port \(port): "), "\(error)")
            }
        }
    }

    func testTheURLBracketsAnIPv6Host() {
        let server = LabellingServer(
            runDirectory: URL(fileURLWithPath: "/tmp/run"), host: "::1", port: 8470, token: Self.token)
        XCTAssertEqual(server.url(port: 8471), "http://[::1]:8471/?token=test-token-5f1c2a")
    }
}
