// swift-tools-version: 6.0
import Foundation
import PackageDescription

// libtorch comes from LIBTORCH (a torch folder with include/ and lib/, e.g. a PyTorch
// install's site-packages/torch) or from .deps/libtorch/torch, where
// `scripts/setup-libtorch` puts it. Without it the CTorch shim stops with an #error
// that names the set-up command.
let packageDirectory = Context.packageDirectory
let libtorch: String = {
    if let path = Context.environment["LIBTORCH"], !path.isEmpty { return path }
    return "\(packageDirectory)/.deps/libtorch/torch"
}()

let libtorchIncludes: [String] = [
    "-isystem", "\(libtorch)/include",
    "-isystem", "\(libtorch)/include/torch/csrc/api/include"
]
// CUDA is not linked: the shim dlopens libtorch_cuda.so at start when the torch
// folder it runs against has it (Sources/CTorch/cuda_loader.cpp, docs/gpu.md), so the
// same binary runs on the CPU or a GPU.
//
// DDPO_RELOCATABLE=1 (scripts/build-gpu-binary) builds a binary for other machines:
// no rpath to this machine's libtorch (a launcher finds torch and sets
// LD_LIBRARY_PATH), and libpng/libjpeg linked statically, since the target machine
// may not have the Debian packages.
let relocatable = Context.environment["DDPO_RELOCATABLE"] == "1"
let libtorchLinking: [LinkerSetting] = [
    .unsafeFlags(
        ["-L\(libtorch)/lib"]
            + (relocatable ? [] : ["-Xlinker", "-rpath", "-Xlinker", "\(libtorch)/lib"])),
    .linkedLibrary("torch_cpu"),
    .linkedLibrary("c10"),
    .linkedLibrary("m")
]
// The executables (ddpo, ddpo-bench) link jemalloc on Linux: libtorch allocates and frees
// many small blocks per op (tensors, autograd nodes), and glibc's malloc/free took ~15 % of
// an epoch's CPU time on the tiny pipeline; with jemalloc the epoch's wall and CPU time
// fell by 15–17 % at 1 thread (alternating A/B pairs; bench/README.md, "Allocator").
// Linked as a shared library, so that its malloc replaces glibc's for libtorch too. Not
// in the relocatable build: the target machine may lack libjemalloc.so.2, and there the
// GPU kernels, not the host allocator, dominate.
let allocatorLinking: [LinkerSetting] =
    relocatable
    ? []
    : [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
let imageCodecsLinking: [LinkerSetting] =
    relocatable
    ? [.unsafeFlags(["-Xlinker", "-l:libpng16.a", "-Xlinker", "-l:libjpeg.a", "-Xlinker", "-l:libz.a"])]
    : [.linkedLibrary("png16"), .linkedLibrary("jpeg")]

let package = Package(
    name: "swift-ddpo",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Files", targets: ["Files"]),
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "TorchNN", targets: ["TorchNN"]),
        .library(name: "Schedulers", targets: ["Schedulers"]),
        .library(name: "ImageCodecs", targets: ["ImageCodecs"]),
        .library(name: "Rewards", targets: ["Rewards"]),
        .library(name: "RunLogging", targets: ["RunLogging"]),
        .library(name: "DDPO", targets: ["DDPO"]),
        .library(name: "ShapesWorld", targets: ["ShapesWorld"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "DiffusionModels", targets: ["DiffusionModels"]),
        .library(name: "Pretraining", targets: ["Pretraining"]),
        .library(name: "Labelling", targets: ["Labelling"]),
        .executable(name: "ddpo", targets: ["ddpo"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1")
    ],
    targets: [
        .target(
            name: "CTorch",
            cxxSettings: [
                .unsafeFlags(libtorchIncludes + ["-Wno-unused-parameter"]),
                .define("_GLIBCXX_USE_CXX11_ABI", to: "1"),
                // ProcessGroupGloo.hpp is empty without it (libtorch's own CMake config
                // exports it); its gloo/ headers come from Debian's libgloo-dev, headers
                // only: see distributed.cpp for why that is safe.
                .define("USE_C10D_GLOO")
            ],
            linkerSettings: libtorchLinking
        ),
        // Atomic writes and strict reads of the files every layer writes and reads.
        .target(name: "Files"),
        .target(name: "Torch", dependencies: ["CTorch", "Files"]),
        .target(name: "TorchNN", dependencies: ["Torch"]),
        .target(name: "Schedulers", dependencies: ["Torch"]),
        .target(
            name: "CImageCodecs",
            linkerSettings: imageCodecsLinking
        ),
        .target(name: "ImageCodecs", dependencies: ["CImageCodecs", "Files", "Torch"]),
        .target(name: "DiffusionModels", dependencies: ["Files", "Torch", "TorchNN", "Schedulers"]),
        .target(
            name: "Rewards",
            dependencies: [
                "Files", "Torch", "TorchNN", "ImageCodecs", "DiffusionModels",
                // The reward server's client (FoundationNetworking's URLSession crashed
                // when a task was cancelled as its body arrived).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio")
            ]),
        .target(name: "Pretraining", dependencies: ["Files", "Torch", "TorchNN", "Schedulers", "DiffusionModels"]),
        // metrics.jsonl, TensorBoard events and image grids: what a run folder logs.
        .target(name: "RunLogging", dependencies: ["Files", "ImageCodecs"]),
        // The algorithm: advantages, objectives, the policy update, the trainer,
        // checkpoints and the configuration. Knows no world: rewards, prompt sets and
        // pretraining data come from the `Catalogue` it is given.
        .target(
            name: "DDPO",
            dependencies: [
                "Files", "Torch", "TorchNN", "Schedulers", "DiffusionModels", "ImageCodecs", "Rewards",
                "Pretraining", "RunLogging",
                .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log"),
                // SHA-256 of checkpoint files (their manifest).
                .product(name: "Crypto", package: "swift-crypto")
            ]
        ),
        // The tiny world of coloured shapes: its renderer, recogniser and rewards, and
        // what it adds to a DDPO catalogue (prompt sets, pretraining data).
        .target(
            name: "ShapesWorld",
            dependencies: [
                "Files", "Torch", "TorchNN", "ImageCodecs", "Rewards",
                "Pretraining", "DDPO"
            ]),
        // The HTML report of a run and the comparisons of several, read from run folders.
        .target(name: "Reports", dependencies: ["Files", "Torch", "DDPO", "RunLogging"]),
        // `ddpo label`: the local web page where a person labels pairs of a run's images
        // (the run's preferences/ folder, read and written through DDPO's PreferenceFolder).
        .target(
            name: "Labelling",
            dependencies: [
                "DDPO", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio")
            ]),
        .executableTarget(
            name: "ddpo",
            dependencies: [
                "DDPO", "DiffusionModels", "ImageCodecs", "Labelling", "Pretraining", "Reports", "Rewards",
                "RunLogging", "ShapesWorld", "Torch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log")
            ],
            linkerSettings: allocatorLinking
        ),
        .executableTarget(
            name: "ddpo-bench",
            dependencies: [
                "Files", "Torch", "TorchNN", "DiffusionModels", "DDPO", "Pretraining",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log")
            ],
            path: "Benchmarks/ddpo-bench",
            linkerSettings: allocatorLinking
        ),
        // One rank of a multi-process ProcessGroup check: TorchTests starts several, and on
        // a GPU machine two of them check CUDA tensors (no product: not for users).
        .executableTarget(name: "process-group-check", dependencies: ["Torch"]),
        // Helpers two or more test targets share (golden pipeline fixtures, temporary folders).
        .target(name: "TestSupport", dependencies: ["Torch"], path: "Tests/TestSupport"),
        .testTarget(name: "FilesTests", dependencies: ["Files"]),
        .testTarget(
            name: "TorchTests",
            dependencies: ["Torch", "Files"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "TorchNNTests", dependencies: ["TorchNN"]),
        .testTarget(name: "SchedulersTests", dependencies: ["Schedulers"]),
        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs"]),
        // Reads Tests/Fixtures (shared by several targets) through TestSupport, not as resources.
        .testTarget(
            name: "DiffusionModelsTests",
            dependencies: ["DiffusionModels", "Files", "Torch", "TorchNN", "ImageCodecs", "TestSupport"]),
        // Reads Tests/Fixtures/aesthetic through #filePath, like DiffusionModelsTests.
        .testTarget(
            name: "RewardsTests",
            dependencies: [
                "Rewards", "DiffusionModels", "Torch", "TorchNN", "ImageCodecs",
                "ShapesWorld", "TestSupport"
            ]),
        .testTarget(name: "ShapesWorldTests", dependencies: ["ShapesWorld", "Torch", "Rewards", "ImageCodecs", "DDPO"]),
        .testTarget(name: "PretrainingTests", dependencies: ["Pretraining", "DiffusionModels", "Torch"]),
        .testTarget(
            name: "RunLoggingTests",
            dependencies: ["RunLogging", "Files", "ImageCodecs"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "DDPOTests", dependencies: ["DDPO", "ShapesWorld", "RunLogging", "Reports", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "DDPO", "RunLogging", "Torch"]),
        // Starts the labelling server in-process on a free port and talks to it over HTTP.
        .testTarget(
            name: "LabellingTests",
            dependencies: [
                "Labelling", "DDPO", "ImageCodecs", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio")
            ]),
        // Runs the built `ddpo` executable as a user would (`make test` builds it).
        .testTarget(name: "CommandLineTests", dependencies: ["DDPO", "Torch", "TestSupport"]),
        // Seeded mutation fuzzing of every parser of outside input, FUZZ_SECONDS per target (`make fuzz`).
        .testTarget(
            name: "FuzzTests",
            dependencies: [
                "Files", "Torch", "Schedulers", "DiffusionModels", "Rewards", "Pretraining", "DDPO", "ShapesWorld",
                "TestSupport"
            ])
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx20
)
