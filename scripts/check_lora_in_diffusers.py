"""Checks that LoRA weights exported by `ddpo train` load into diffusers and give
the same images as swift-ddpo for the same seed (not part of CI: needs PyTorch).

    scripts/golden/make-venv
    .build/release/ddpo sample --model MODEL --lora runs/NAME/lora --prompt "a red circle" \
        --steps 10 --seed 1234 --out /tmp/swift-samples
    scripts/golden/.venv/bin/python scripts/check_lora_in_diffusers.py --model MODEL \
        --lora runs/NAME/lora --swift /tmp/swift-samples --prompt "a red circle" --steps 10 --seed 1234

Exits 0 when every pixel is within one 8-bit level of the Swift image, 1 otherwise.
"""
import argparse
import pathlib
import sys

import numpy as np
import torch
from diffusers import DDIMScheduler, StableDiffusionPipeline
from PIL import Image


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--lora", required=True, help="folder with pytorch_lora_weights.safetensors")
    parser.add_argument("--swift", required=True, help="folder with the Swift sample_<i>.png files")
    parser.add_argument("--prompt", action="append", required=True)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--guidance", type=float, default=5.0)
    parser.add_argument("--eta", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(1)
    pipe = StableDiffusionPipeline.from_pretrained(args.model, safety_checker=None, requires_safety_checker=False)
    pipe.scheduler = DDIMScheduler.from_config(pipe.scheduler.config)
    pipe.load_lora_weights(args.lora)
    images = pipe(args.prompt, num_inference_steps=args.steps, guidance_scale=args.guidance, eta=args.eta,
                  generator=torch.Generator("cpu").manual_seed(args.seed), output_type="np").images
    worst = 0
    for index, image in enumerate(images):
        theirs = np.round(image * 255).astype(np.int64)
        ours = np.asarray(Image.open(pathlib.Path(args.swift) / f"sample_{index}.png").convert("RGB"), dtype=np.int64)
        difference = int(np.abs(theirs - ours).max())
        print(f"sample_{index}.png: largest 8-bit difference {difference}")
        worst = max(worst, difference)
    sys.exit(0 if worst <= 1 else 1)


if __name__ == "__main__":
    main()
