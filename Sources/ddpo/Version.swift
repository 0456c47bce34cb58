// RunLogging holds the one version constant (a run records it in run.json); it is a
// dependency of DDPO, so it is built with this executable.
import RunLogging
import Torch

/// What `ddpo --version` prints: this program's version, the libtorch it was
/// compiled against and the devices it can use here, the three things a bug report
/// needs first.
enum Version {
    /// swift-ddpo's version, the one a run records about itself.
    static var swiftDDPO: String { SwiftDDPOVersion.current }

    /// One line per fact: "swift-ddpo 0.2.0", "libtorch 2.11.0", "devices: cpu, cuda:0".
    static func report() -> String {
        // Asking for the CUDA device count starts CUDA when it is loaded: done here,
        // at --version, rather than in the configuration read at every start.
        var devices = ["cpu"]
        var note = ""
        if Device.isCUDALoaded {
            let count = Device.cudaDeviceCount
            devices += (0..<count).map { "cuda:\($0)" }
            if count == 0 { note = " (CUDA support loaded, no GPU visible)" }
        } else if let reason = Device.cudaLoadError {
            note = " (no CUDA: \(reason))"
        }
        return """
            swift-ddpo \(swiftDDPO)
            libtorch \(Runtime.version) (the version compiled against)
            devices: \(devices.joined(separator: ", "))\(note)
            """
    }
}
