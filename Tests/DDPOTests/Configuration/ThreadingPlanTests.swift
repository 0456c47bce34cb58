import Torch
import XCTest

@testable import DDPO

/// `workers` and `threads` left null are chosen per machine; given ones are kept.
final class ThreadingPlanTests: XCTestCase {
    func testNullsOnTheCPUGiveOneWorkerPerCoreWithOneThreadEach() {
        XCTAssertEqual(
            ThreadingPlan.resolve(configuredWorkers: nil, configuredThreads: nil, device: .cpu, cores: 2),
            ThreadingPlan(workers: 2, threads: 1))
        XCTAssertEqual(
            ThreadingPlan.resolve(configuredWorkers: nil, configuredThreads: nil, device: .cpu, cores: 16),
            ThreadingPlan(workers: 16, threads: 1))
    }

    func testAGivenWorkerCountSharesTheCoresAsThreads() {
        XCTAssertEqual(
            ThreadingPlan.resolve(configuredWorkers: 1, configuredThreads: nil, device: .cpu, cores: 8),
            ThreadingPlan(workers: 1, threads: 8))
        XCTAssertEqual(
            ThreadingPlan.resolve(configuredWorkers: 3, configuredThreads: nil, device: .cpu, cores: 8),
            ThreadingPlan(workers: 3, threads: 2))
        // More workers than cores: still at least one thread each.
        XCTAssertEqual(
            ThreadingPlan.resolve(configuredWorkers: 4, configuredThreads: nil, device: .cpu, cores: 2),
            ThreadingPlan(workers: 4, threads: 1))
    }

    func testALargeUNetGetsOneWorkerWithEveryCoreInItsPool() {
        let sd15 = 859_520_964
        XCTAssertEqual(
            ThreadingPlan.resolve(
                configuredWorkers: nil, configuredThreads: nil, device: .cpu, cores: 8, modelParameters: sd15),
            ThreadingPlan(workers: 1, threads: 8))
        XCTAssertEqual(
            ThreadingPlan.resolve(
                configuredWorkers: 2, configuredThreads: nil, device: .cpu, cores: 8, modelParameters: sd15),
            ThreadingPlan(workers: 2, threads: 4))
        // The bundled model's 1 M parameters: a worker per core.
        XCTAssertEqual(
            ThreadingPlan.resolve(
                configuredWorkers: nil, configuredThreads: nil, device: .cpu, cores: 8, modelParameters: 1_000_000),
            ThreadingPlan(workers: 8, threads: 1))
    }

    func testGivenValuesAreKept() {
        XCTAssertEqual(
            ThreadingPlan.resolve(configuredWorkers: 2, configuredThreads: 3, device: .cpu, cores: 2),
            ThreadingPlan(workers: 2, threads: 3))
        XCTAssertEqual(
            ThreadingPlan.resolve(configuredWorkers: nil, configuredThreads: 2, device: .cpu, cores: 4),
            ThreadingPlan(workers: 4, threads: 2))
    }

    func testAGPURunKeepsOneWorkerAndLibtorchsPool() {
        XCTAssertEqual(
            ThreadingPlan.resolve(configuredWorkers: nil, configuredThreads: nil, device: .cuda(0), cores: 16),
            ThreadingPlan(workers: 1, threads: nil))
    }

    func testTheProcessesOfOneMachineShareItsCores() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        XCTAssertEqual(ThreadingPlan.coresPerProcess(environment: [:]), cores)
        XCTAssertEqual(ThreadingPlan.coresPerProcess(environment: ["LOCAL_WORLD_SIZE": "2"]), max(1, cores / 2))
        XCTAssertEqual(ThreadingPlan.coresPerProcess(environment: ["LOCAL_WORLD_SIZE": "1000"]), 1)
        XCTAssertEqual(ThreadingPlan.coresPerProcess(environment: ["LOCAL_WORLD_SIZE": "x"]), cores)
    }

    func testTheConfigurationsNullsAreWrittenAndResolved() throws {
        let configuration = TrainingConfiguration(runName: "r", model: "m")
        XCTAssertNil(configuration.workers)
        XCTAssertNil(configuration.threads)
        let yaml = configuration.yamlString()
        XCTAssertTrue(yaml.contains("workers: null\n"), yaml)
        XCTAssertTrue(yaml.contains("threads: null\n"), yaml)
        XCTAssertEqual(
            try configuration.threadingPlan(modelParameters: 1_000_000, cores: 2), ThreadingPlan(workers: 2, threads: 1)
        )
    }
}
