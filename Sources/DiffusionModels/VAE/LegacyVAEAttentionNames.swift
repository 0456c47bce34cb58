import Torch

/// Older VAE checkpoints name the mid-block attention's projections `query`, `key`,
/// `value`, `proj_attn` (diffusers' former `AttentionBlock`), and the oldest store
/// them as 1×1 convolution weights [C, C, 1, 1]. This renames them to `to_q`, `to_k`,
/// `to_v`, `to_out.0` and squeezes such weights to [C, C], as diffusers does when it
/// loads them. Keys already in the current scheme, and everything else, pass through.
public func convertingLegacyVAEAttentionNames(_ weights: [String: Tensor]) -> [String: Tensor] {
    let renames = ["query": "to_q", "key": "to_k", "value": "to_v", "proj_attn": "to_out.0"]
    var converted: [String: Tensor] = [:]
    for (key, tensor) in weights {
        var parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // …attentions.<n>.<legacy>.<weight|bias>
        guard parts.count >= 4, let newName = renames[parts[parts.count - 2]],
            parts[parts.count - 4] == "attentions", Int(parts[parts.count - 3]) != nil
        else {
            converted[key] = tensor
            continue
        }
        parts[parts.count - 2] = newName
        let newKey = parts.joined(separator: ".")
        let isConvolutionShaped = tensor.rank == 4 && tensor.size(2) == 1 && tensor.size(3) == 1
        // Both schemes in one file: keep both, so strict loading reports the legacy key as unused.
        if weights[newKey] != nil {
            converted[key] = tensor
            continue
        }
        converted[newKey] = isConvolutionShaped ? tensor.reshaped([tensor.size(0), tensor.size(1)]) : tensor
    }
    return converted
}
