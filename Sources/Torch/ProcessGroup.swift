import CTorch
import Foundation

/// The processes of one data-parallel job, joined through PyTorch's c10d: each
/// process holds one `ProcessGroup`, and the collectives below combine a tensor
/// across all of them, as `torch.distributed` with the Gloo backend does.
///
/// Rank 0 hosts the rendezvous (a c10d TCPStore on `masterAddress:port`), so every
/// process must be given the same address, port and world size. Collectives must be
/// called in the same order on every rank: they are matched by their position in that
/// sequence, not by name.
///
/// Every call waits at most `timeout`. A peer that dies closes its connections, and the
/// others fail at their next collective at once ("Connection closed by peer"); a peer
/// that hangs makes them fail when the timeout runs out. Either way the error is
/// thrown, never a hang, and the group is unusable afterwards: data-parallel training
/// cannot continue without the missing rank.
///
/// Tensors must be dense (strided views work, through a contiguous copy), on the CPU,
/// or on a GPU when CUDA support is loaded (Gloo then copies them through host memory;
/// NCCL is not wired up).
public final class ProcessGroup {
    /// How `allReduce` combines the ranks' values.
    public enum ReduceOp: Int32, Sendable {
        case sum = 0
        case average = 1
        case product = 2
        case min = 3
        case max = 4
    }

    /// This process's index in the group, 0..<worldSize.
    public let rank: Int
    public let worldSize: Int
    /// The longest any collective (and the rendezvous) may take.
    public let timeout: Duration
    private let handle: tt_process_group

    /// Joins the group; returns once all `worldSize` processes have joined. Throws
    /// when they have not within `timeout` (rank 0 names how many did), or when rank 0
    /// cannot listen on `port`.
    ///
    /// With a loopback `masterAddress` (the default) the group's connections stay on
    /// this machine; otherwise Gloo listens on the address this host's name resolves
    /// to, or on the interface named by `GLOO_SOCKET_IFNAME`, as in PyTorch.
    ///
    /// Joining makes the process ignore SIGPIPE unless it handles it itself (Python
    /// does the same), so that a peer dying mid-transfer is an error here rather than
    /// a silent exit.
    public init(
        masterAddress: String = "127.0.0.1", port: Int, rank: Int, worldSize: Int,
        timeout: Duration = .seconds(1800)
    ) throws {
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        guard
            let handle = tt_process_group_gloo_create(
                masterAddress, Int32(clamping: port), Int32(clamping: rank),
                Int32(clamping: worldSize), milliseconds)
        else {
            throw TorchError(operation: "ProcessGroup.init", message: lastTorchErrorMessage())
        }
        self.handle = handle
        self.rank = rank
        self.worldSize = worldSize
        self.timeout = timeout
    }

    /// Waits for collectives still running (up to their timeout), then leaves the group.
    deinit {
        tt_process_group_free(handle)
    }

    /// Replaces `tensor`'s values, on every rank, by their combination across ranks.
    public func allReduce(_ tensor: Tensor, op: ReduceOp = .sum) throws {
        try checkThrowing(tt_pg_allreduce(handle, tensor.handle, op.rawValue), "ProcessGroup.allReduce")
    }

    /// Copies `root`'s `tensor` into `tensor` on every other rank.
    public func broadcast(_ tensor: Tensor, root: Int) throws {
        try checkThrowing(tt_pg_broadcast(handle, tensor.handle, Int32(clamping: root)), "ProcessGroup.broadcast")
    }

    /// Every rank's `tensor`, indexed by rank (each rank passes the same shape and dtype).
    public func allGather(_ tensor: Tensor) throws -> [Tensor] {
        var handles = [tt_tensor?](repeating: nil, count: worldSize)
        try checkThrowing(tt_pg_allgather(handle, tensor.handle, &handles), "ProcessGroup.allGather")
        return handles.map { Tensor(handle: $0!) }
    }

    /// Returns once every rank has called it.
    public func barrier() throws {
        try checkThrowing(tt_pg_barrier(handle), "ProcessGroup.barrier")
    }

    /// A TCP port on 127.0.0.1 that no one listens on now (the kernel picks it), for a
    /// rendezvous on this machine: `ddpo train --nproc` and the tests use it.
    public static func freeLoopbackPort() throws -> Int {
        #if os(Linux)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else {
            throw TorchError(operation: "ProcessGroup.freeLoopbackPort", message: "cannot open a socket")
        }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Bool in
                bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard bound else {
            throw TorchError(operation: "ProcessGroup.freeLoopbackPort", message: "cannot bind a socket on 127.0.0.1")
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
