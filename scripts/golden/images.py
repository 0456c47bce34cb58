"""Writes Tests/Fixtures/images.safetensors: small RGB images (uint8 [H, W, 3]) and
the byte size PIL gives each one as JPEG at quality 95 (4:2:0, PIL's default
subsampling for that quality), the JPEG compressibility reward's definition.

Keys: `<name>.pixels` uint8 [H, W, 3]; `<name>.jpeg95_size` int64 [1];
`<name>.jpeg95_decoded` uint8 [H, W, 3] (PIL's decode of its own JPEG).
"""
import io
import pathlib

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "images.safetensors"


def images():
    rng = np.random.default_rng(7)
    yield "noise_16", rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    yield "noise_odd", rng.integers(0, 256, (13, 21, 3), dtype=np.uint8)
    y, x = np.mgrid[0:64, 0:64]
    gradient = np.stack([x * 4, y * 4, (x + y) * 2], axis=-1).clip(0, 255).astype(np.uint8)
    yield "gradient_64", gradient
    flat = np.zeros((32, 32, 3), dtype=np.uint8)
    flat[..., 0] = 200
    flat[8:24, 8:24] = (30, 160, 90)
    yield "shapes_32", flat


def main():
    tensors = {}
    for name, pixels in images():
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=95)
        data = buffer.getvalue()
        decoded = np.array(Image.open(io.BytesIO(data)).convert("RGB"))
        tensors[f"{name}.pixels"] = torch.from_numpy(pixels.copy())
        tensors[f"{name}.jpeg95_size"] = torch.tensor([len(data)], dtype=torch.int64)
        tensors[f"{name}.jpeg95_decoded"] = torch.from_numpy(decoded)
        print(name, pixels.shape, len(data))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT), metadata={"generator": "scripts/golden/images.py"})


if __name__ == "__main__":
    main()
