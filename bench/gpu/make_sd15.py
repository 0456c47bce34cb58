"""Writes a random-weight pipeline with Stable Diffusion 1.5's UNet architecture, with
diffusers and transformers, for the GPU benchmark (bench/gpu/run): the same shapes as
`ddpo-bench make-sd15` (Benchmarks/ddpo-bench/MakeSD15.swift), made in Python because
the GPU machines have PyTorch but no Swift toolchain, and the 3.4 GB UNet is better
made there than copied.

- UNet: blocks 320/640/1280/1280, 2 ResNets per level, 8-dim attention heads,
  cross-attention 768, 64x64 latents (about 860 M parameters), SD 1.5's layout;
- text encoder: one CLIP layer of width 768 (SD's width, so cross-attention shapes
  are SD's), with the tokenizer of the tiny golden pipeline (Tests/Fixtures/tiny-sd1);
- VAE: four levels of 32 channels (SD's 8x downsampling: 512x512 images) at a
  fraction of SD's VAE cost; scheduler and model_index.json from the fixture.
Weights are the libraries' default initialisation, seeded: enough for timing.
"""

import argparse
import json
import os
import shutil


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="output folder (replaced if it exists)")
    p.add_argument("--fixture", default="Tests/Fixtures/tiny-sd1", help="pipeline to take the tokenizer and scheduler from")
    args = p.parse_args()
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    for part in ["tokenizer", "scheduler"]:
        shutil.copytree(os.path.join(args.fixture, part), os.path.join(args.out, part))
    shutil.copy(os.path.join(args.fixture, "model_index.json"), args.out)

    with open(os.path.join(args.fixture, "text_encoder", "config.json")) as f:
        tiny_text = json.load(f)
    text = CLIPTextModel(CLIPTextConfig(
        vocab_size=tiny_text["vocab_size"], hidden_size=768, intermediate_size=3072, num_hidden_layers=1,
        num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5,
        projection_dim=768, bos_token_id=tiny_text["bos_token_id"], eos_token_id=tiny_text["eos_token_id"],
        pad_token_id=tiny_text["pad_token_id"]))
    text.save_pretrained(os.path.join(args.out, "text_encoder"))

    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=2, norm_num_groups=32,
        block_out_channels=(320, 640, 1280, 1280),
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=768, attention_head_dim=8)
    unet.save_pretrained(os.path.join(args.out, "unet"))
    count = sum(p.numel() for p in unet.parameters())

    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1, norm_num_groups=32, sample_size=512,
        block_out_channels=(32, 32, 32, 32), down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4)
    vae.save_pretrained(os.path.join(args.out, "vae"))
    print(f"wrote {args.out}: UNet with {count} parameters")


if __name__ == "__main__":
    main()
