/// A 64-bit fingerprint of tensors' exact bits, computed where they live (no copy
/// to the host): equal bits give equal fingerprints on any device and thread
/// count, since it is built from integer sums, which do not depend on the order of
/// addition as floating-point sums do. Data-parallel ranks compare theirs after
/// every optimizer step to prove their weights and optimizer state did not drift.
///
/// Each tensor's bytes are read as integers (`viewBits`), multiplied by a weight
/// that depends on the position (1...251, so a permutation changes the sum) and
/// summed in chunks small enough that no int64 sum overflows; the chunks' sums,
/// the shapes and the dtypes are folded together with FNV-1a.
public func bitFingerprint(_ tensors: [Tensor]) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    func fold(_ value: UInt64) {
        hash = (hash ^ value) &* 0x0000_0100_0000_01B3
    }
    // 2^22 elements × |bits| < 2^32 × weight < 2^8: each chunk's sum stays below 2^62.
    let chunk = 1 << 22
    for tensor in tensors {
        fold(UInt64(tensor.dtype.rawValue))
        for size in tensor.shape { fold(UInt64(bitPattern: Int64(size))) }
        let flat = withNoGrad { tensor.detached().contiguous().reshaped([-1]) }
        // Wider elements are read as int32 pairs, narrower ones as bytes.
        let integers = flat.viewBits(as: tensor.dtype.byteSize >= 4 ? .int32 : .uint8).to(dtype: .int64)
        let count = integers.elementCount
        var start = 0
        while start < count {
            let end = min(start + chunk, count)
            let part = integers.slice(dim: 0, start..<end)
            let weights =
                Tensor.arange(Double(start), Double(end), dtype: .int64, device: part.device)
                .remainder(Tensor([Int64(251)]).to(device: part.device)) + 1
            fold(UInt64(bitPattern: Int64((part * weights).sum().itemInt())))
            start = end
        }
    }
    return hash
}
