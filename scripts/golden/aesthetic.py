"""Writes Tests/Fixtures/aesthetic/: a tiny random CLIP vision tower, three test
images and what transformers + PIL + the aesthetic head compute for them.

- `clip/`: CLIPVisionModelWithProjection.save_pretrained (config.json, model.safetensors)
  with hidden 32, 2 layers, 4 heads, intermediate 37, quick_gelu, image 32, patch 4 and
  projection_dim 768 (so the real 768-1024-128-64-16-1 head applies), plus the
  preprocessor_config.json of CLIPImageProcessor(size={"shortest_edge": 32},
  crop_size=32). Every 1-D parameter gets seeded N(0, 0.1^2) noise on top of the
  default init, so a swapped or missing norm / bias / class embedding shows.
- `<name>.png`: the test images (non-square, so resizing and cropping matter).
- `reference.safetensors`:
    `<name>.resized`  uint8 [h, w, 3]  PIL's bicubic resize (shortest side 32)
    `pixel_values`    f32 [3, 3, 32, 32]  CLIPImageProcessor (PIL backend) output
    `image_embeds`    f32 [3, 768]  the tower's output for those pixel values
    `scores`          f32 [3]  the head on the L2-normalised embeddings
    `mlp_seed`        int64 [1]
    `mlp_weight_gain` f32 [1]
  The head (3.7 MB in float32, too big to commit) is NOT stored: its weights are
  PyTorch's default nn.Linear init after torch.manual_seed(mlp_seed), built in
  layer order, with every weight (not bias) times `mlp_weight_gain` (4, exact);
  the Swift tests rebuild it bit for bit with a seeded Generator.

The script also checks scripts/convert_aesthetic_mlp.py on a .pth of that head.
Single-threaded so reruns are byte-identical.
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file, save_file
# The PIL backend explicitly: with torchvision installed, CLIPImageProcessor would use
# torchvision, whose resize differs from PIL by up to one level.
from transformers import CLIPImageProcessorPil as CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

torch.set_num_threads(1)
ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "aesthetic"
SIZE = 32
MLP_SEED = 7
WEIGHT_GAIN = 4.0
NAMES = ["landscape", "portrait", "square"]


def images():
    """Smooth scenes with edges and a little noise: like decoded images, and PNG-small."""
    rng = np.random.default_rng(3)

    def scene(height, width, phase):
        y, x = np.mgrid[0:height, 0:width].astype(np.float64)
        base = np.stack([127 + 100 * np.sin(x / 6 + phase), 127 + 100 * np.cos(y / 5 - phase),
                         255 * (x + y) / (height + width)], axis=-1)
        base[height // 4: height // 2, width // 3: width // 2] = (240, 30, 60)
        base += rng.normal(0, 12, base.shape)
        return base.clip(0, 255).astype(np.uint8)

    return {"landscape": scene(40, 56, 0.0), "portrait": scene(64, 36, 1.0), "square": scene(96, 96, 2.0)}


def build_clip():
    config = CLIPVisionConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                              image_size=SIZE, patch_size=4, projection_dim=768, hidden_act="quick_gelu")
    torch.manual_seed(0)
    model = CLIPVisionModelWithProjection(config).eval()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _, parameter in sorted(model.named_parameters()):
            if parameter.dim() == 1:
                parameter.add_(torch.randn(parameter.shape, generator=g) * 0.1)
    return model


def build_mlp():
    torch.manual_seed(MLP_SEED)
    mlp = torch.nn.Sequential(
        torch.nn.Linear(768, 1024), torch.nn.Dropout(0.2), torch.nn.Linear(1024, 128), torch.nn.Dropout(0.2),
        torch.nn.Linear(128, 64), torch.nn.Dropout(0.1), torch.nn.Linear(64, 16), torch.nn.Linear(16, 1)).eval()
    # The random tower's embeddings differ little between images; weights x WEIGHT_GAIN (a power
    # of two, so exact in float32) make the scores differ by ~0.5 instead of ~1e-3.
    with torch.no_grad():
        for layer in mlp:
            if isinstance(layer, torch.nn.Linear):
                layer.weight.mul_(WEIGHT_GAIN)
    return mlp


def check_converter(mlp):
    with tempfile.TemporaryDirectory() as folder:
        pth, out = pathlib.Path(folder) / "head.pth", pathlib.Path(folder) / "head.safetensors"
        torch.save({f"layers.{k}": v for k, v in mlp.state_dict().items()}, pth)
        subprocess.run([sys.executable, str(ROOT / "scripts" / "convert_aesthetic_mlp.py"), str(pth), str(out)],
                       check=True)
        converted = load_file(str(out))
        for key, value in mlp.state_dict().items():
            assert torch.equal(converted[f"layers.{key}"], value), key


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    model = build_clip()
    model.save_pretrained(OUT / "clip")
    processor = CLIPImageProcessor(size={"shortest_edge": SIZE}, crop_size={"height": SIZE, "width": SIZE})
    processor.save_pretrained(OUT / "clip")

    pictures = images()
    tensors = {}
    for name in NAMES:
        Image.fromarray(pictures[name]).save(OUT / f"{name}.png")
        # Read back, so the fixture is exactly what the Swift side decodes.
        pixels = np.array(Image.open(OUT / f"{name}.png").convert("RGB"))
        assert np.array_equal(pixels, pictures[name])
        h, w = pixels.shape[:2]
        short, long = min(h, w), max(h, w)
        new_long = int(SIZE * long / short)
        size = (new_long, SIZE) if w <= h else (SIZE, new_long)
        resized = np.array(Image.fromarray(pixels).resize((size[1], size[0]), resample=Image.BICUBIC))
        tensors[f"{name}.resized"] = torch.from_numpy(resized.copy())

    batch = processor(images=[pictures[n] for n in NAMES], return_tensors="pt")["pixel_values"]
    assert batch.shape == (3, 3, SIZE, SIZE) and batch.dtype == torch.float32
    mlp = build_mlp()
    with torch.no_grad():
        embeds = model(pixel_values=batch).image_embeds
        normalised = embeds / embeds.norm(dim=-1, keepdim=True)
        scores = mlp(normalised).squeeze(-1)
    print("scores", scores.tolist())
    # The images must score apart by far more than float32 rounding for the test to mean anything.
    assert (scores.max() - scores.min()) > 0.1, scores
    check_converter(mlp)

    tensors.update(pixel_values=batch.contiguous(), image_embeds=embeds.contiguous(), scores=scores.contiguous(),
                   mlp_seed=torch.tensor([MLP_SEED], dtype=torch.int64),
                   mlp_weight_gain=torch.tensor([WEIGHT_GAIN], dtype=torch.float32))
    save_file(tensors, str(OUT / "reference.safetensors"), metadata={"generator": "scripts/golden/aesthetic.py"})
    with open(OUT / "clip" / "config.json") as f:
        print(json.load(f)["model_type"])


if __name__ == "__main__":
    main()
