"""Writes Tests/Fixtures/preference/: two tiny random CLIP models in transformers' CLIPModel
layout and what PickScore-style, CLIP-score and HPS v2-style rewards compute with them for
the three aesthetic test images and three prompts.

- `prompts.json`: the prompts, a JSON list; prompt i goes with image i (the PNGs of
  Tests/Fixtures/aesthetic/: landscape 56x40, portrait 36x64, square 96x96).
- `clip/`: CLIPModel.save_pretrained (config.json, model.safetensors): text and vision
  towers of hidden 32, 2 layers, 4 heads, intermediate 37, quick_gelu, 77 positions,
  image 32, patch 4, projection_dim 24; logit_scale ln(100) (PickScore's learned value is
  about that). Plus the preprocessor_config.json of CLIPImageProcessor(shortest_edge 32,
  crop 32) and the tiny-sd1 tokenizer files (vocab 1114, <|startoftext|> 1112,
  <|endoftext|> 1113 = pad).
- `openclip/`: a tiny random OpenCLIP CLIP with ViT-H-14's block structure (exact GELU,
  class-token pooling, text pooled at argmax(ids)), saved as {"state_dict": ...} like the
  HPS checkpoints and converted by scripts/convert_hpsv2.py (with the tiny-sd1 tokenizer,
  4 heads). The script checks that transformers' CLIPModel loaded from it gives OpenCLIP's
  features.
- `reference.safetensors` (keys below), all float32 unless said:
    clip.input_ids        int64 [3, 77]  CLIPTokenizer, padding="max_length", truncation
    clip.pixel_values     [3, 3, 32, 32]  CLIPImageProcessor, PIL backend
    clip.text_embeds      [3, 24]  projected pooled text output, NOT normalised
    clip.image_embeds     [3, 24]  projected pooled image output, NOT normalised
    pickscore             [3]  exp(logit_scale) * cosine(text_i, image_i)
    clip_score            [3]  cosine(text_i, image_i)
    hps.input_ids         int64 [3, 77]  OpenCLIP's layout: start, BPE ids, end, then 0s
    hps.resized.<name>    [3, h, w]  HPS v2's resize step, on the float image (see below)
    hps.pixel_values      [3, 3, 32, 32]  HPS v2's evaluation preprocessing
    hps.text_features     [3, 24]  OpenCLIP encode_text, not normalised
    hps.image_features    [3, 24]  OpenCLIP encode_image of hps.pixel_values
    hpsv2                 [3]  cosine(image_i, text_i), no logit scale
    hps.pil.resized.<name>  uint8 [h, w, 3]  upstream open_clip's "longest" resize (PIL)
    hps.pil.pixel_values  [3, 3, 32, 32]  upstream open_clip's image_transform(resize_mode="longest")
    hps.pil.image_features  [3, 24]
    hpsv2_pil             [3]  hpsv2 with the upstream preprocessing

HPS v2's preprocessing (its own open_clip fork, image_transform(resize_longest_max=True)):
convert to RGB, ToTensor (uint8 / 255), THEN resize the float tensor so the longest side is
32 (new side = Python round(side * 32 / longest), halves to even; torchvision bicubic on a
tensor = torch.nn.functional.interpolate(bicubic, antialias=True, align_corners=False), no
rounding or clamping), pad with 0 to 32x32 (left = pad_w // 2, top = pad_h // 2, the odd
pixel right / bottom), normalise with OpenAI CLIP's mean / std. An image whose longest side
is already 32 is neither resized nor padded. Upstream open_clip (3.x) resizes the PIL image
instead (uint8, PIL's bicubic) and pads the same way: close, not equal; both are stored.

Single-threaded so reruns are byte-identical.
"""
import importlib.util
import json
import math
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import open_clip
import PIL
import torch
import torchvision
import torchvision.transforms.functional as TF
import transformers
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD
from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg
from open_clip.transform import image_transform
from PIL import Image
from safetensors.torch import save_file
from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPTokenizer

torch.set_num_threads(1)
ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "preference"
IMAGES = ROOT / "Tests" / "Fixtures" / "aesthetic"
TOKENIZER = ROOT / "Tests" / "Fixtures" / "tiny-sd1" / "tokenizer"
TOKENIZER_FILES = ["vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"]
NAMES = ["landscape", "portrait", "square"]
PROMPTS = ["a red circle", "Two BLUE squares, left of a triangle!", "a photo of a cat"]
SIZE, CONTEXT, EMBED = 32, 77, 24
START_ID, END_ID = 1112, 1113
LOGIT_SCALE = math.log(100.0)
TOLERANCE = 1e-5


def jitter(model, seed):
    """Seeded N(0, 0.1^2) on every 1-D parameter, so a missing or swapped norm / bias shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, parameter in sorted(model.named_parameters()):
            if parameter.dim() == 1:
                parameter.add_(torch.randn(parameter.shape, generator=g) * 0.1)
        model.logit_scale.fill_(LOGIT_SCALE)


def cosine(a, b):
    return (a / a.norm(dim=-1, keepdim=True) * (b / b.norm(dim=-1, keepdim=True))).sum(-1)


def build_clip():
    tower = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                 hidden_act="quick_gelu")
    config = CLIPConfig(
        text_config=dict(tower, vocab_size=1114, max_position_embeddings=CONTEXT, bos_token_id=START_ID,
                         eos_token_id=END_ID, pad_token_id=END_ID),
        vision_config=dict(tower, image_size=SIZE, patch_size=4), projection_dim=EMBED)
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    jitter(model, 1)
    return model


def build_openclip():
    vision = CLIPVisionCfg(width=32, layers=2, head_width=8, mlp_ratio=37 / 32, patch_size=4, image_size=SIZE)
    text = CLIPTextCfg(context_length=CONTEXT, vocab_size=1114, width=32, heads=4, layers=2, mlp_ratio=37 / 32)
    torch.manual_seed(2)
    model = CLIP(embed_dim=EMBED, vision_cfg=vision, text_cfg=text, quick_gelu=False, output_dict=True).eval()
    assert model.text_pool_type == "argmax" and isinstance(model.visual.transformer.resblocks[0].mlp.gelu,
                                                            torch.nn.GELU)
    jitter(model, 3)
    return model


def load_images():
    return {name: Image.open(IMAGES / f"{name}.png").convert("RGB") for name in NAMES}


def hpsv2_resize(image):
    """HPS v2's ResizeMaxSize on the ToTensor'd image: (float [3, h, w] resized, padded)."""
    tensor = TF.to_tensor(image)
    height, width = tensor.shape[1:]
    scale = SIZE / float(max(height, width))
    if scale == 1.0:
        return tensor, tensor
    new_size = (round(height * scale), round(width * scale))
    resized = TF.resize(tensor, list(new_size), TF.InterpolationMode.BICUBIC)
    # What torchvision does for a float tensor, spelled out in plain torch for the Swift side.
    plain = torch.nn.functional.interpolate(tensor[None], size=new_size, mode="bicubic", align_corners=False,
                                            antialias=True)[0]
    assert torch.equal(resized, plain)
    pad_h, pad_w = SIZE - new_size[0], SIZE - new_size[1]
    padded = TF.pad(resized, [pad_w // 2, pad_h // 2, pad_w - pad_w // 2, pad_h - pad_h // 2], fill=0)
    return resized, padded


def hpsv2_pixel_values(images):
    resized, batch = {}, []
    mean, std = torch.tensor(OPENAI_DATASET_MEAN)[:, None, None], torch.tensor(OPENAI_DATASET_STD)[:, None, None]
    for name in NAMES:
        resized[name], padded = hpsv2_resize(images[name])
        batch.append(TF.normalize(padded, OPENAI_DATASET_MEAN, OPENAI_DATASET_STD))
        assert torch.allclose(batch[-1], (padded - mean) / std, atol=1e-6)
    return resized, torch.stack(batch)


def openclip_pil_pixel_values(images):
    transform = image_transform(SIZE, is_train=False, mean=OPENAI_DATASET_MEAN, std=OPENAI_DATASET_STD,
                                resize_mode="longest")
    resize = transform.transforms[0]
    resized = {}
    for name in NAMES:
        image = images[name]
        pixels = np.array(resize(image))
        # The same rounding as HPS v2 for these sizes, and PIL's own bicubic.
        scale = SIZE / max(image.width, image.height)
        size = (round(image.width * scale), round(image.height * scale))
        assert pixels.shape == (size[1], size[0], 3), (name, pixels.shape, size)
        assert np.array_equal(pixels, np.array(image.resize(size, resample=Image.BICUBIC)))
        resized[name] = torch.from_numpy(pixels.copy())
    return resized, torch.stack([transform(images[name]) for name in NAMES])


def openclip_ids(tokenizer):
    """OpenCLIP's tokenize layout with the tiny vocabulary: start, at most 75 BPE ids, end, zeros."""
    ids = torch.zeros(len(PROMPTS), CONTEXT, dtype=torch.int64)
    for row, prompt in enumerate(PROMPTS):
        tokens = [START_ID] + tokenizer(prompt, add_special_tokens=False)["input_ids"] + [END_ID]
        if len(tokens) > CONTEXT:
            tokens = tokens[:CONTEXT]
            tokens[-1] = END_ID
        ids[row, :len(tokens)] = torch.tensor(tokens)
    return ids


def copy_tokenizer(folder):
    for name in TOKENIZER_FILES:
        shutil.copyfile(TOKENIZER / name, folder / name)


def check_default_tokenizer(converter):
    """The converter's default tokenizer (OpenCLIP's vocabulary) tokenises as open_clip does."""
    cases = PROMPTS + ["A photo of an astronaut riding a horse on Mars.", "café, naïve: 42% off!!", "x " * 100]
    with tempfile.TemporaryDirectory() as folder:
        converter.write_openclip_tokenizer(folder)
        tokenizer = CLIPTokenizer.from_pretrained(folder)
        assert (tokenizer.bos_token_id, tokenizer.eos_token_id, len(tokenizer)) == (49406, 49407, 49408)
        ours = tokenizer(cases, padding="max_length", max_length=CONTEXT, truncation=True,
                         return_tensors="pt")["input_ids"]
    theirs = open_clip.tokenize(cases)
    # OpenCLIP pads with 0, the written tokenizer with <|endoftext|>; the rest must agree.
    for row in range(len(cases)):
        end = int((theirs[row] == 49407).nonzero()[0])
        assert torch.equal(ours[row, :end + 1], theirs[row, :end + 1]), cases[row]
        assert (ours[row, end + 1:] == 49407).all() and (theirs[row, end + 1:] == 0).all()


def load_converter():
    spec = importlib.util.spec_from_file_location("convert_hpsv2", ROOT / "scripts" / "convert_hpsv2.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_clip(images):
    folder = OUT / "clip"
    folder.mkdir(parents=True, exist_ok=True)
    build_clip().save_pretrained(folder)
    CLIPImageProcessorPil(size={"shortest_edge": SIZE}, crop_size={"height": SIZE, "width": SIZE}).save_pretrained(
        folder)
    copy_tokenizer(folder)

    # Everything below from the saved folder, as a user of the fixture would load it.
    model = CLIPModel.from_pretrained(folder).eval()
    tokenizer = CLIPTokenizer.from_pretrained(folder)
    processor = CLIPImageProcessorPil.from_pretrained(folder)
    ids = tokenizer(PROMPTS, padding="max_length", max_length=CONTEXT, truncation=True,
                    return_tensors="pt")["input_ids"]
    pixels = processor(images=[images[n] for n in NAMES], return_tensors="pt")["pixel_values"]
    assert ids.dtype == torch.int64 and ids.shape == (3, CONTEXT) and pixels.shape == (3, 3, SIZE, SIZE)
    with torch.no_grad():
        # transformers 5: get_*_features return a BaseModelOutputWithPooling whose
        # pooler_output is the projected feature.
        text = model.get_text_features(input_ids=ids).pooler_output
        image = model.get_image_features(pixel_values=pixels).pooler_output
        both = model(input_ids=ids, pixel_values=pixels)
        # Pooling at the FIRST <|endoftext|> (eos_token_id != 2), which padding repeats.
        hidden = model.text_model(input_ids=ids).last_hidden_state
        first_end = (ids == END_ID).int().argmax(-1)
        assert torch.equal(model.text_projection(hidden[torch.arange(3), first_end]), text)
    clip_score = cosine(text, image)
    pickscore = model.logit_scale.exp() * clip_score
    assert torch.allclose(both.logits_per_text.diagonal(), pickscore, atol=1e-5)
    return {"clip.input_ids": ids, "clip.pixel_values": pixels, "clip.text_embeds": text,
            "clip.image_embeds": image, "pickscore": pickscore.detach(), "clip_score": clip_score}


def write_openclip(images):
    folder = OUT / "openclip"
    folder.mkdir(parents=True, exist_ok=True)
    model = build_openclip()
    with tempfile.TemporaryDirectory() as temporary:
        checkpoint = pathlib.Path(temporary) / "HPS_tiny.pt"
        torch.save({"state_dict": model.state_dict()}, checkpoint)
        subprocess.run([sys.executable, str(ROOT / "scripts" / "convert_hpsv2.py"), str(checkpoint), str(folder),
                        "--tokenizer", str(TOKENIZER), "--vision-heads", "4", "--text-heads", "4"], check=True)
    converted = CLIPModel.from_pretrained(folder).eval()

    ids = openclip_ids(CLIPTokenizer.from_pretrained(TOKENIZER))
    resized, pixels = hpsv2_pixel_values(images)
    pil_resized, pil_pixels = openclip_pil_pixel_values(images)
    with torch.no_grad():
        text = model.encode_text(ids)
        image = model.encode_image(pixels)
        pil_image = model.encode_image(pil_pixels)
        hf_text = converted.get_text_features(input_ids=ids).pooler_output
        hf_image = converted.get_image_features(pixel_values=pixels).pooler_output
        # HPS v2's forward: normalised features, logits = image @ text.T, score = diagonal.
        output = model(pixels, ids)
        diagonal = (output["image_features"] @ output["text_features"].T).diagonal()
    text_diff, image_diff = (hf_text - text).abs().max().item(), (hf_image - image).abs().max().item()
    print(f"converter check: max |transformers - open_clip| text {text_diff:.3g}, image {image_diff:.3g}")
    assert text_diff < TOLERANCE and image_diff < TOLERANCE
    assert abs(converted.logit_scale.item() - LOGIT_SCALE) < 1e-6
    hpsv2 = cosine(image, text)
    assert torch.allclose(hpsv2, diagonal, atol=1e-6)
    print("max |HPS v2 - upstream open_clip pixel_values|:", (pixels - pil_pixels).abs().max().item())

    tensors = {"hps.input_ids": ids, "hps.pixel_values": pixels, "hps.text_features": text,
               "hps.image_features": image, "hpsv2": hpsv2, "hps.pil.pixel_values": pil_pixels,
               "hps.pil.image_features": pil_image, "hpsv2_pil": cosine(pil_image, text)}
    for name in NAMES:
        tensors[f"hps.resized.{name}"] = resized[name]
        tensors[f"hps.pil.resized.{name}"] = pil_resized[name]
    return tensors


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, module in (("torch", torch), ("torchvision", torchvision), ("transformers", transformers),
                         ("open_clip", open_clip), ("numpy", np), ("pillow", PIL)):
        print(f"{name} {module.__version__}")
    with open(OUT / "prompts.json", "w", encoding="utf-8") as f:
        f.write(json.dumps(PROMPTS, indent=2) + "\n")
    images = load_images()
    converter = load_converter()
    check_default_tokenizer(converter)

    tensors = write_clip(images)
    tensors.update(write_openclip(images))
    for key in ("pickscore", "clip_score", "hpsv2", "hpsv2_pil"):
        print(key, [round(x, 6) for x in tensors[key].tolist()])
    tensors = {k: v.detach().contiguous() for k, v in sorted(tensors.items())}
    save_file(tensors, str(OUT / "reference.safetensors"), metadata={"generator": "scripts/golden/preference.py"})
    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(f"{path.relative_to(ROOT)} {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
