#!/usr/bin/env python3
"""Converts the LAION aesthetic predictor's head from PyTorch's .pth to safetensors,
which the Swift `aesthetic` reward loads (it never unpickles .pth files).

Usage:
    python3 scripts/convert_aesthetic_mlp.py sac+logos+ava1-l14-linearMSE.pth aesthetic-mlp.safetensors

The .pth is the state dict of improved-aesthetic-predictor's MLP (an nn.Sequential:
Linear 768->1024, Dropout, Linear 1024->128, Dropout, Linear 128->64, Dropout,
Linear 64->16, Linear 16->1), keys `layers.{0,2,4,6,7}.{weight,bias}`. It is read with
`torch.load(weights_only=True)`, which refuses anything but tensors and plain
containers. Needs torch and safetensors (`pip install torch safetensors`).
"""
import sys

import torch
from safetensors.torch import save_file

SHAPES = {
    "layers.0": (1024, 768),
    "layers.2": (128, 1024),
    "layers.4": (64, 128),
    "layers.6": (16, 64),
    "layers.7": (1, 16),
}


def expected_shapes():
    shapes = {}
    for layer, (out_features, in_features) in SHAPES.items():
        shapes[f"{layer}.weight"] = (out_features, in_features)
        shapes[f"{layer}.bias"] = (out_features,)
    return shapes


def convert(source, destination):
    state = torch.load(source, map_location="cpu", weights_only=True)
    # Some copies wrap the weights as {"state_dict": ...} (Lightning checkpoints).
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        sys.exit(f"{source}: expected a state dict, found {type(state).__name__}")
    expected = expected_shapes()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        sys.exit(f"{source}: not the aesthetic head; missing keys {missing}, unexpected keys {unexpected}")
    tensors = {}
    for key, shape in expected.items():
        tensor = state[key]
        if tuple(tensor.shape) != shape:
            sys.exit(f"{source}: {key} has shape {tuple(tensor.shape)}, expected {shape}")
        tensors[key] = tensor.detach().to(torch.float32).contiguous()
    save_file(tensors, destination, metadata={"source": str(source), "converter": "scripts/convert_aesthetic_mlp.py"})
    print(f"wrote {destination}: {len(tensors)} tensors")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    convert(sys.argv[1], sys.argv[2])
