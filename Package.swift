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
    "-isystem", "\(libtorch)/include/torch/csrc/api/include",
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
    .unsafeFlags(["-L\(libtorch)/lib"]
        + (relocatable ? [] : ["-Xlinker", "-rpath", "-Xlinker", "\(libtorch)/lib"])),
    .linkedLibrary("torch_cpu"),
    .linkedLibrary("c10"),
    .linkedLibrary("m"),
]
// The executables (ddpo, ddpo-bench) link jemalloc on Linux: libtorch allocates and frees
// many small blocks per op (tensors, autograd nodes), and glibc's malloc/free took ~15 % of
// an epoch's CPU time on the tiny pipeline; with jemalloc the epoch's wall and CPU time
// fell by 15–17 % at 1 thread (alternating A/B pairs; bench/README.md, "Allocator").
// Linked as a shared library, so that its malloc replaces glibc's for libtorch too. Not
// in the relocatable build: the target machine may lack libjemalloc.so.2, and there the
// GPU kernels, not the host allocator, dominate.
let allocatorLinking: [LinkerSetting] = relocatable
    ? []
    : [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
let imageCodecsLinking: [LinkerSetting] = relocatable
    ? [.unsafeFlags(["-Xlinker", "-l:libpng16.a", "-Xlinker", "-l:libjpeg.a", "-Xlinker", "-l:libz.a"])]
    : [.linkedLibrary("png16"), .linkedLibrary("jpeg")]

let package = Package(
    name: "swift-ddpo",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "TorchNN", targets: ["TorchNN"]),
        .library(name: "Schedulers", targets: ["Schedulers"]),
        .library(name: "ImageCodecs", targets: ["ImageCodecs"]),
        .library(name: "Rewards", targets: ["Rewards"]),
        .library(name: "ShapesWorld", targets: ["ShapesWorld"]),
        .library(name: "DDPO", targets: ["DDPO"]),
        .library(name: "DiffusionModels", targets: ["DiffusionModels"]),
        .library(name: "Pretraining", targets: ["Pretraining"]),
        .executable(name: "ddpo", targets: ["ddpo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(
            name: "CTorch",
            cxxSettings: [
                .unsafeFlags(libtorchIncludes + ["-Wno-unused-parameter"]),
                .define("_GLIBCXX_USE_CXX11_ABI", to: "1"),
            ],
            linkerSettings: libtorchLinking
        ),
        .target(name: "Torch", dependencies: ["CTorch"]),
        .target(name: "TorchNN", dependencies: ["Torch"]),
        .target(name: "Schedulers", dependencies: ["Torch"]),
        .target(
            name: "CImageCodecs",
            linkerSettings: imageCodecsLinking
        ),
        .target(name: "ImageCodecs", dependencies: ["CImageCodecs", "Torch"]),
        .target(name: "DiffusionModels", dependencies: ["Torch", "TorchNN", "Schedulers"]),
        .target(name: "Rewards", dependencies: ["Torch", "TorchNN", "ImageCodecs", "DiffusionModels"]),
        .target(name: "ShapesWorld", dependencies: ["Torch", "TorchNN", "ImageCodecs", "Rewards"]),
        .target(name: "Pretraining", dependencies: ["Torch", "TorchNN", "Schedulers", "DiffusionModels"]),
        .target(
            name: "DDPO",
            dependencies: ["Torch", "TorchNN", "Schedulers", "DiffusionModels", "ImageCodecs", "Rewards", "ShapesWorld", "Pretraining",
                           .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "ddpo",
            dependencies: [
                "DDPO", "DiffusionModels", "ImageCodecs", "Pretraining", "ShapesWorld", "Torch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: allocatorLinking
        ),
        .executableTarget(
            name: "ddpo-bench",
            dependencies: [
                "Torch", "TorchNN", "DiffusionModels", "DDPO", "Pretraining",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ddpo-bench",
            linkerSettings: allocatorLinking
        ),
        .testTarget(
            name: "TorchTests",
            dependencies: ["Torch"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "TorchNNTests", dependencies: ["TorchNN"]),
        .testTarget(name: "SchedulersTests", dependencies: ["Schedulers"]),
        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs"]),
        // Reads Tests/Fixtures (shared by several targets) through #filePath, not as resources.
        .testTarget(name: "DiffusionModelsTests", dependencies: ["DiffusionModels", "Torch", "TorchNN", "ImageCodecs"]),
        // Reads Tests/Fixtures/aesthetic through #filePath, like DiffusionModelsTests.
        .testTarget(name: "RewardsTests", dependencies: ["Rewards", "DiffusionModels", "Torch", "TorchNN", "ImageCodecs",
                                                         "ShapesWorld"]),
        .testTarget(name: "ShapesWorldTests", dependencies: ["ShapesWorld", "Torch", "Rewards", "ImageCodecs"]),
        .testTarget(name: "PretrainingTests", dependencies: ["Pretraining", "DiffusionModels", "Torch"]),
        .testTarget(
            name: "DDPOTests",
            dependencies: ["DDPO", "ShapesWorld"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx20
)
