import Foundation

/// Where this process stands in a data-parallel job, read from the variables that
/// torchrun, `ddpo train --nproc`, Kubernetes' PyTorchJob and (mapped by hand) Slurm
/// set: `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR`, `MASTER_PORT`.
public struct LaunchEnvironment: Equatable, Sendable {
    /// This process's index in the job, 0..<worldSize.
    public var rank: Int
    public var worldSize: Int
    /// Its index on its own machine: picks the GPU (`cuda:LOCAL_RANK`).
    public var localRank: Int
    /// Where rank 0 hosts the rendezvous (a c10d TCPStore).
    public var masterAddress: String
    public var masterPort: Int

    public init(rank: Int, worldSize: Int, localRank: Int, masterAddress: String, masterPort: Int) {
        self.rank = rank
        self.worldSize = worldSize
        self.localRank = localRank
        self.masterAddress = masterAddress
        self.masterPort = masterPort
    }

    /// What a launcher on this machine (`torchrun --standalone`, `ddpo train --nproc`)
    /// gives rank `rank` of `worldSize`: every rank local, the rendezvous on 127.0.0.1:`port`.
    public static func localVariables(rank: Int, worldSize: Int, port: Int) -> [String: String] {
        [
            "RANK": "\(rank)", "LOCAL_RANK": "\(rank)", "WORLD_SIZE": "\(worldSize)",
            "LOCAL_WORLD_SIZE": "\(worldSize)", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "\(port)"
        ]
    }

    /// The variables every launcher sets; with none of them set a run is one process.
    public static let variableNames = ["RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"]

    /// nil when none of `RANK` and `WORLD_SIZE` is set (a plain, single-process run);
    /// otherwise the job's coordinates. Throws naming the variable that is missing or
    /// malformed: a half-configured launch is a mistake, never silently one process.
    /// `LOCAL_RANK` defaults to `RANK`, `MASTER_ADDR` to 127.0.0.1 when `WORLD_SIZE` is 1.
    public static func read(_ environment: [String: String]) throws -> LaunchEnvironment? {
        guard environment["RANK"] != nil || environment["WORLD_SIZE"] != nil else { return nil }
        func integer(_ name: String, atLeast minimum: Int) throws -> Int {
            guard let text = environment[name] else {
                throw LaunchEnvironmentError(
                    variable: name,
                    message: "is not set, but "
                        + "RANK or WORLD_SIZE is: a distributed launch needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT"
                )
            }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= minimum else {
                throw LaunchEnvironmentError(variable: name, message: "must be an integer >= \(minimum), got '\(text)'")
            }
            return value
        }
        let worldSize = try integer("WORLD_SIZE", atLeast: 1)
        let rank = try integer("RANK", atLeast: 0)
        guard rank < worldSize else {
            throw LaunchEnvironmentError(
                variable: "RANK", message: "must be below WORLD_SIZE (\(worldSize)), got \(rank)")
        }
        let localRank = environment["LOCAL_RANK"] == nil ? rank : try integer("LOCAL_RANK", atLeast: 0)
        let address = environment["MASTER_ADDR"] ?? (worldSize == 1 ? "127.0.0.1" : "")
        guard !address.isEmpty else {
            throw LaunchEnvironmentError(variable: "MASTER_ADDR", message: "is not set: rank 0's host name or address")
        }
        let port = worldSize == 1 && environment["MASTER_PORT"] == nil ? 0 : try integer("MASTER_PORT", atLeast: 1)
        guard port <= 65_535 else {
            throw LaunchEnvironmentError(variable: "MASTER_PORT", message: "must be a TCP port (1-65535), got \(port)")
        }
        return LaunchEnvironment(
            rank: rank, worldSize: worldSize, localRank: localRank, masterAddress: address,
            masterPort: port)
    }
}

/// A launch variable that is missing or malformed.
public struct LaunchEnvironmentError: Error, CustomStringConvertible, Equatable {
    public var variable: String
    public var message: String

    public var description: String { "environment variable \(variable) \(message)" }
}
