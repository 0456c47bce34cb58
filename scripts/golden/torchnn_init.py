"""Print PyTorch's default initial values for the TorchNN parity test.

Run:  scripts/golden/make-venv && scripts/golden/.venv/bin/python scripts/golden/torchnn_init.py
The output is pasted into Tests/TorchNNTests/InitializationParityTests.swift.
torch.manual_seed(s) leaves the default CPU generator in the same state as a new
Generator(seed: s), so the Swift layers built with Generator(seed: s) must match.
"""

import torch
import torch.nn as nn


def show(name, tensor):
    print(f"{name}: {[float(v) for v in tensor.detach().flatten()]}")


torch.manual_seed(11)
linear = nn.Linear(5, 3)
show("linear(5, 3) seed 11 weight", linear.weight)
show("linear(5, 3) seed 11 bias", linear.bias)

torch.manual_seed(2)
conv = nn.Conv2d(4, 6, 3, groups=2)
show("conv2d(4, 6, k3, groups 2) seed 2 weight[:5]", conv.weight.flatten()[:5])
show("conv2d(4, 6, k3, groups 2) seed 2 bias", conv.bias)

torch.manual_seed(0)
embedding = nn.Embedding(10, 3)
show("embedding(10, 3) seed 0 weight[:5]", embedding.weight.flatten()[:5])
