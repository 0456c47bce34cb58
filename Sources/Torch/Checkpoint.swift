import CTorch
import Foundation

/// Gradient checkpointing (torch.utils.checkpoint): `body(inputs)` computed without
/// keeping its intermediate activations for the backward pass, which recomputes them.
///
/// With grad mode on and some input or parameter requiring gradients, the body runs
/// under no-grad inside one autograd node (a custom `torch::autograd::Function` in the
/// shim) that keeps only `inputs` and `parameters`. Its backward runs `body` again,
/// with grad mode and the forward's autocast settings on, on copies of the inputs cut
/// from the graph, and differentiates that re-run: the same gradients for one more
/// forward pass of `body`, through `backward()` and `gradients(of:withRespectTo:)` alike.
/// With grad mode off (sampling) or nothing requiring gradients, it is `body(inputs)`.
///
/// - Parameters:
///   - inputs: every tensor `body` reads that the caller computed, whether it requires
///     gradients (the block's input, a time embedding) or not (encoder states); `body`
///     gets them in this order. Other values (sizes, flags) it may capture.
///   - parameters: the weights `body` uses that require gradients (a block's LoRA
///     adapters, or all its weights when fully fine-tuned): they are inputs of the node,
///     so their gradients flow through it. Frozen weights may be left out; `body` uses
///     the weights themselves, not these handles.
///   - body: must compute the same function when re-run: no random ops (a dropout in
///     training mode would draw another mask), and the same weights and settings until
///     the backward (a saved input or parameter changed in place makes the backward
///     fail). Its outputs must be defined; it may be called on another thread during
///     the backward.
/// - Returns: `body`'s outputs, in order.
public func checkpointed(
    _ inputs: [Tensor], parameters: [Tensor], _ body: @escaping ([Tensor]) -> [Tensor]
) -> [Tensor] {
    guard isGradEnabled, inputs.contains(where: \.requiresGrad) || parameters.contains(where: \.requiresGrad) else {
        return body(inputs)
    }
    let box = CheckpointBody(body)
    // Released by the shim once the graph no longer needs the body.
    let context = Unmanaged.passRetained(box).toOpaque()
    let inputHandles: [tt_tensor?] = inputs.map { $0.handle }
    let parameterHandles: [tt_tensor?] = parameters.map { $0.handle }
    var outputs: UnsafeMutablePointer<tt_tensor?>?
    var count: Int32 = 0
    let status = withExtendedLifetime((inputs, parameters)) {
        tt_checkpoint(
            runCheckpointBody, context, releaseCheckpointBody, inputHandles, Int32(inputs.count), parameterHandles,
            Int32(parameters.count), &outputs, &count)
    }
    guard status == 0, let outputs else {
        // Inside `withTorchErrors`: placeholders, as a failed op returns.
        reportFailure("checkpointed")
        return (0..<box.outputCount).map { _ in Tensor(handle: tt_undefined()!) }
    }
    defer { free(outputs) }
    return (0..<Int(count)).map { Tensor(handle: outputs[$0]!) }
}

/// The Swift body behind a checkpoint node, kept alive by the node.
private final class CheckpointBody {
    let body: ([Tensor]) -> [Tensor]
    /// How many outputs the last run returned (for the placeholders of a failed call).
    var outputCount = 0

    init(_ body: @escaping ([Tensor]) -> [Tensor]) {
        self.body = body
    }
}

/// Runs the body on the shim's input handles (taking them) and hands its outputs back
/// as new handles in a malloc'd array.
private let runCheckpointBody: tt_checkpoint_body = { context, inputs, count, outputCount in
    let box = Unmanaged<CheckpointBody>.fromOpaque(context!).takeUnretainedValue()
    let tensors = (0..<Int(count)).map { Tensor(handle: inputs![$0]!) }
    let outputs = box.body(tensors)
    box.outputCount = outputs.count
    let array = malloc(MemoryLayout<tt_tensor?>.stride * max(outputs.count, 1))!
        .bindMemory(to: tt_tensor?.self, capacity: max(outputs.count, 1))
    for (index, output) in outputs.enumerated() {
        array[index] = tt_tensor_alias(output.handle)
    }
    outputCount!.pointee = Int32(outputs.count)
    return array
}

private let releaseCheckpointBody: @convention(c) (UnsafeMutableRawPointer?) -> Void = { context in
    Unmanaged<CheckpointBody>.fromOpaque(context!).release()
}
