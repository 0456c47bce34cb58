import Foundation
import XCTest

@testable import DDPO

final class LoRALocationTests: XCTestCase {
    func testRunFolderOrLoRAFolder() throws {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("lora-location-\(UUID())")
        defer { try? FileManager.default.removeItem(at: run) }
        let lora = run.appendingPathComponent("lora")
        try FileManager.default.createDirectory(at: lora, withIntermediateDirectories: true)
        XCTAssertThrowsError(try LoRAExport.directory(forRunOrLoRA: run.path)) { error in
            XCTAssertTrue("\(error)".contains(run.path), "\(error)")
        }
        try Data().write(to: lora.appendingPathComponent(LoRAExport.fileName))
        XCTAssertEqual(try LoRAExport.directory(forRunOrLoRA: run.path).path, lora.path)
        XCTAssertEqual(try LoRAExport.directory(forRunOrLoRA: lora.path).path, lora.path)
    }
}
