#!/usr/bin/env python3
"""Converts an HPS v2 / v2.1 checkpoint (an OpenCLIP CLIP state dict, pickled) into a
transformers CLIPModel folder, which the Swift `hpsv2` reward loads (it never unpickles
.pt files).

Usage:
    python3 scripts/convert_hpsv2.py HPS_v2.1_compressed.pt hps-v2.1/ [--tokenizer DIR]

HPS v2 (`HPS_v2_compressed.pt`) and v2.1 (`HPS_v2.1_compressed.pt`) are fine-tunes of
OpenCLIP's ViT-H-14 (vision: width 1280, 32 layers, 16 heads of 80, patch 14, image 224;
text: width 1024, 24 layers, 16 heads, 77 positions, vocab 49408; embeddings 1024, exact
GELU). The file holds {"state_dict": ...} with OpenCLIP's key names. The score is
cosine(image features, text features): the diagonal of the L2-normalised image features
times the L2-normalised text features, without the logit scale.

Writes into OUTPUT_DIR:
- `config.json`       transformers' CLIPModel configuration (model_type "clip"), the sizes
                      read off the tensor shapes, heads from --vision-heads / --text-heads.
- `model.safetensors` the weights under transformers' CLIPModel names, float32, contiguous:
                      OpenCLIP's fused attention `in_proj` is split into q/k/v, and the
                      [width, embed] projections are transposed into Linear weights.
- the CLIP tokenizer: `vocab.json`, `merges.txt`, `tokenizer_config.json`
  (model_max_length 77), `special_tokens_map.json`. By default they are built from the
  BPE merges file bundled with open_clip (`pip install open_clip_torch`), numbered as
  OpenCLIP's SimpleTokenizer numbers them, with the two special tokens under the names
  transformers' CLIPTokenizer uses (`<|startoftext|>` 49406, `<|endoftext|>` 49407).
  With --tokenizer DIR those files (and `tokenizer.json`, if there) are copied from DIR.

Any key the converter does not know (layer scale `ls_1`, attentional pooling, a bias on a
projection, ...) is refused, never dropped; only OpenCLIP's non-learned `attn_mask` buffer
is ignored. The checkpoint is read with `torch.load(weights_only=True)`, which refuses
anything but tensors and plain containers. Needs torch and safetensors.
"""
import argparse
import gzip
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile

import torch
from safetensors.torch import save_file

START, END = "<|startoftext|>", "<|endoftext|>"
TOKENIZER_FILES = ["vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"]
CONTEXT_LENGTH = 77
# OpenCLIP's SimpleTokenizer keeps the first 49152 - 256 - 2 merges of its BPE file.
MERGE_COUNT = 49152 - 256 - 2

# OpenCLIP residual block -> transformers CLIPEncoderLayer (in_proj is handled apart).
BLOCK_NAMES = {
    "ln_1.weight": "layer_norm1.weight",
    "ln_1.bias": "layer_norm1.bias",
    "ln_2.weight": "layer_norm2.weight",
    "ln_2.bias": "layer_norm2.bias",
    "attn.out_proj.weight": "self_attn.out_proj.weight",
    "attn.out_proj.bias": "self_attn.out_proj.bias",
    "mlp.c_fc.weight": "mlp.fc1.weight",
    "mlp.c_fc.bias": "mlp.fc1.bias",
    "mlp.c_proj.weight": "mlp.fc2.weight",
    "mlp.c_proj.bias": "mlp.fc2.bias",
}


class ConversionError(Exception):
    pass


def load_state_dict(path):
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ConversionError("expected a state dict of tensors (or {'state_dict': ...})")
    # Checkpoints saved from DistributedDataParallel carry a `module.` prefix.
    state = {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state.items()}
    return {k: v for k, v in state.items() if k != "attn_mask" and not k.endswith(".attn_mask")}


def block_count(state, prefix):
    indices = {int(m.group(1)) for k in state for m in [re.match(re.escape(prefix) + r"(\d+)\.", k)] if m}
    if not indices:
        raise ConversionError(f"no transformer blocks under `{prefix}`")
    if indices != set(range(len(indices))):
        raise ConversionError(f"blocks under `{prefix}` are not numbered 0..{len(indices) - 1}: {sorted(indices)}")
    return len(indices)


def shape_of(state, key, rank):
    if key not in state:
        raise ConversionError(f"missing key `{key}`: not an OpenCLIP ViT CLIP state dict")
    shape = tuple(state[key].shape)
    if len(shape) != rank:
        raise ConversionError(f"`{key}` has shape {shape}, expected {rank} dimensions")
    return shape


def infer_architecture(state, vision_heads, text_heads):
    """Sizes from the tensor shapes; the head counts cannot be read off and are given."""
    vision_width, channels, patch, patch_w = shape_of(state, "visual.conv1.weight", 4)
    if channels != 3 or patch != patch_w:
        raise ConversionError(f"visual.conv1.weight {tuple(state['visual.conv1.weight'].shape)}: "
                              "expected [width, 3, patch, patch]")
    positions, _ = shape_of(state, "visual.positional_embedding", 2)
    grid = int(round((positions - 1) ** 0.5))
    if grid * grid != positions - 1:
        raise ConversionError(f"visual.positional_embedding has {positions} rows, not 1 + a square number")
    vision_embed_width, embed_dim = shape_of(state, "visual.proj", 2)
    vocab_size, text_width = shape_of(state, "token_embedding.weight", 2)
    context_length, _ = shape_of(state, "positional_embedding", 2)
    text_proj_width, text_embed_dim = shape_of(state, "text_projection", 2)
    if vision_embed_width != vision_width or text_proj_width != text_width or text_embed_dim != embed_dim:
        raise ConversionError(f"projection shapes disagree: visual.proj {(vision_embed_width, embed_dim)}, "
                              f"text_projection {(text_proj_width, text_embed_dim)}, widths "
                              f"{vision_width} / {text_width}")
    towers = {}
    for name, prefix, width, heads in (("vision", "visual.transformer.resblocks.", vision_width, vision_heads),
                                       ("text", "transformer.resblocks.", text_width, text_heads)):
        if heads <= 0 or width % heads:
            raise ConversionError(f"{name} width {width} is not divisible by {heads} heads "
                                  f"(pass --{name}-heads)")
        intermediate, _ = shape_of(state, prefix + "0.mlp.c_fc.weight", 2)
        towers[name] = dict(width=width, heads=heads, layers=block_count(state, prefix), intermediate=intermediate)
    return dict(vision=dict(towers["vision"], patch=patch, image_size=grid * patch),
                text=dict(towers["text"], vocab_size=vocab_size, context_length=context_length),
                embed_dim=embed_dim)


def map_block(state, source, target, width, out, used):
    for key in [k for k in state if k.startswith(source)]:
        rest = key[len(source):]
        if rest in BLOCK_NAMES:
            out[target + BLOCK_NAMES[rest]] = state[key]
            used.add(key)
        elif rest in ("attn.in_proj_weight", "attn.in_proj_bias"):
            fused = state[key]
            if fused.shape[0] != 3 * width:
                raise ConversionError(f"`{key}` has shape {tuple(fused.shape)}, expected {3 * width} rows")
            suffix = "weight" if rest.endswith("weight") else "bias"
            # nn.MultiheadAttention stacks the query, key and value projections in that order.
            for part, tensor in zip("qkv", fused.chunk(3, dim=0)):
                out[f"{target}self_attn.{part}_proj.{suffix}"] = tensor
            used.add(key)


def map_weights(state, arch):
    out, used = {}, set()
    direct = {
        "visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
        "visual.class_embedding": "vision_model.embeddings.class_embedding",
        "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
        "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight",
        "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
        "visual.ln_post.weight": "vision_model.post_layernorm.weight",
        "visual.ln_post.bias": "vision_model.post_layernorm.bias",
        "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
        "positional_embedding": "text_model.embeddings.position_embedding.weight",
        "ln_final.weight": "text_model.final_layer_norm.weight",
        "ln_final.bias": "text_model.final_layer_norm.bias",
        "logit_scale": "logit_scale",
    }
    for source, target in direct.items():
        if source not in state:
            raise ConversionError(f"missing key `{source}`")
        out[target] = state[source]
        used.add(source)
    # OpenCLIP applies x @ proj; a Linear layer computes x @ weight.T.
    out["visual_projection.weight"] = state["visual.proj"].t()
    out["text_projection.weight"] = state["text_projection"].t()
    used.update(["visual.proj", "text_projection"])
    for tower, source, target in (("vision", "visual.transformer.resblocks.", "vision_model.encoder.layers."),
                                  ("text", "transformer.resblocks.", "text_model.encoder.layers.")):
        for layer in range(arch[tower]["layers"]):
            map_block(state, f"{source}{layer}.", f"{target}{layer}.", arch[tower]["width"], out, used)
    unknown = sorted(set(state) - used)
    if unknown:
        raise ConversionError(f"{len(unknown)} keys this converter does not know (refusing to drop them): "
                              + ", ".join(unknown))
    return {k: v.detach().to(torch.float32).contiguous() for k, v in out.items()}


def expected_shapes(arch):
    v, t, embed = arch["vision"], arch["text"], arch["embed_dim"]
    shapes = {
        "logit_scale": (),
        "vision_model.embeddings.patch_embedding.weight": (v["width"], 3, v["patch"], v["patch"]),
        "vision_model.embeddings.class_embedding": (v["width"],),
        "vision_model.embeddings.position_embedding.weight": ((v["image_size"] // v["patch"]) ** 2 + 1, v["width"]),
        "vision_model.pre_layrnorm.weight": (v["width"],), "vision_model.pre_layrnorm.bias": (v["width"],),
        "vision_model.post_layernorm.weight": (v["width"],), "vision_model.post_layernorm.bias": (v["width"],),
        "visual_projection.weight": (embed, v["width"]),
        "text_model.embeddings.token_embedding.weight": (t["vocab_size"], t["width"]),
        "text_model.embeddings.position_embedding.weight": (t["context_length"], t["width"]),
        "text_model.final_layer_norm.weight": (t["width"],), "text_model.final_layer_norm.bias": (t["width"],),
        "text_projection.weight": (embed, t["width"]),
    }
    for prefix, tower in (("vision_model", v), ("text_model", t)):
        w, i = tower["width"], tower["intermediate"]
        for layer in range(tower["layers"]):
            p = f"{prefix}.encoder.layers.{layer}."
            for norm in ("layer_norm1", "layer_norm2"):
                shapes[p + norm + ".weight"] = (w,)
                shapes[p + norm + ".bias"] = (w,)
            for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                shapes[p + f"self_attn.{proj}.weight"] = (w, w)
                shapes[p + f"self_attn.{proj}.bias"] = (w,)
            shapes[p + "mlp.fc1.weight"], shapes[p + "mlp.fc1.bias"] = (i, w), (i,)
            shapes[p + "mlp.fc2.weight"], shapes[p + "mlp.fc2.bias"] = (w, i), (w,)
    return shapes


def check_shapes(tensors, arch):
    expected = expected_shapes(arch)
    missing = sorted(set(expected) - set(tensors))
    if missing:
        raise ConversionError("missing after conversion: " + ", ".join(missing))
    wrong = [f"{k} {tuple(tensors[k].shape)} (expected {s})" for k, s in expected.items()
             if tuple(tensors[k].shape) != s]
    if wrong:
        raise ConversionError("unexpected shapes: " + "; ".join(wrong))


def clip_config(arch, special_ids, logit_scale, hidden_act):
    v, t = arch["vision"], arch["text"]
    common = dict(attention_dropout=0.0, hidden_act=hidden_act, initializer_factor=1.0, initializer_range=0.02,
                  layer_norm_eps=1e-5, projection_dim=arch["embed_dim"])
    text = dict(common, model_type="clip_text_model", vocab_size=t["vocab_size"], hidden_size=t["width"],
                intermediate_size=t["intermediate"], num_hidden_layers=t["layers"], num_attention_heads=t["heads"],
                max_position_embeddings=t["context_length"], bos_token_id=special_ids["bos"],
                eos_token_id=special_ids["eos"], pad_token_id=special_ids["pad"])
    vision = dict(common, model_type="clip_vision_model", hidden_size=v["width"], intermediate_size=v["intermediate"],
                  num_hidden_layers=v["layers"], num_attention_heads=v["heads"], num_channels=3,
                  image_size=v["image_size"], patch_size=v["patch"])
    return {
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "dtype": "float32",
        "initializer_factor": 1.0,
        "logit_scale_init_value": logit_scale,
        "projection_dim": arch["embed_dim"],
        "text_config": dict(sorted(text.items())),
        "vision_config": dict(sorted(vision.items())),
    }


def bytes_to_unicode():
    """CLIP's (GPT-2's) byte -> printable character table, in the order CLIP numbers it:
    the printable Latin-1 bytes keep their own character, the other bytes get 256, 257, ..."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table, extra = {b: chr(b) for b in printable}, 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    order = printable + [b for b in range(256) if b not in printable]
    return [table[b] for b in order]


def openclip_vocabulary(bpe_path):
    """(vocab, merges) numbered as OpenCLIP's SimpleTokenizer numbers them: the 256 byte
    symbols, the same with `</w>`, one token per merge, then the start and end tokens."""
    with gzip.open(bpe_path, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    merges = [tuple(line.split()) for line in lines[1:MERGE_COUNT + 1]]
    if len(merges) != MERGE_COUNT or any(len(m) != 2 for m in merges):
        raise ConversionError(f"{bpe_path}: expected {MERGE_COUNT} merge pairs after the header line")
    symbols = bytes_to_unicode()
    tokens = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + [START, END]
    vocab = {token: index for index, token in enumerate(tokens)}
    if len(vocab) != len(tokens):
        raise ConversionError(f"{bpe_path}: duplicate tokens in the vocabulary")
    return vocab, merges


def atomic_write(path, write):
    """Writes through a temporary file in the same folder, then renames it into place."""
    path = pathlib.Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_text(path, text):
    def write(temporary):
        with open(temporary, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    atomic_write(path, write)


def write_json(path, value):
    write_text(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


class OpenCLIPTokenizerFiles:
    """CLIPTokenizer files for OpenCLIP's own vocabulary (needs open_clip installed)."""

    def __init__(self):
        try:
            from open_clip.tokenizer import SimpleTokenizer, default_bpe
        except ImportError:
            raise ConversionError("the default tokenizer is built from open_clip's bundled BPE file: "
                                  "`pip install open_clip_torch`, or pass --tokenizer DIR with vocab.json, "
                                  "merges.txt, tokenizer_config.json and special_tokens_map.json") from None
        self.vocab, self.merges = openclip_vocabulary(default_bpe())
        # Cross-check against open_clip's own tokenizer (it names the special tokens differently).
        reference = SimpleTokenizer().encoder
        renamed = {{"<start_of_text>": START, "<end_of_text>": END}.get(k, k): i for k, i in reference.items()}
        if renamed != self.vocab:
            raise ConversionError("the vocabulary built from the BPE file differs from open_clip's SimpleTokenizer")
        # Padding with <|endoftext|>, as OpenAI's CLIP tokenizer does: a pad token of "!" (id 0,
        # what OpenCLIP pads with) would make every literal "!" in a prompt a special token.
        # The pooled text feature is the same either way (the first <|endoftext|> position).
        self.special = {"bos_token": START, "eos_token": END, "pad_token": END, "unk_token": END}

    def write(self, output_dir):
        output_dir = pathlib.Path(output_dir)
        write_json(output_dir / "vocab.json", self.vocab)
        write_text(output_dir / "merges.txt", "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges))
        write_json(output_dir / "special_tokens_map.json", self.special)
        write_json(output_dir / "tokenizer_config.json",
                   dict(sorted(dict(self.special, backend="tokenizers", model_max_length=CONTEXT_LENGTH,
                                    tokenizer_class="CLIPTokenizer").items())))
        return ["vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"]


class CopiedTokenizerFiles:
    """The CLIP tokenizer files of another folder (a transformers / diffusers tokenizer)."""

    def __init__(self, source_dir):
        self.source_dir = pathlib.Path(source_dir)
        missing = [name for name in TOKENIZER_FILES if not (self.source_dir / name).is_file()]
        if missing:
            raise ConversionError(f"--tokenizer {self.source_dir}: missing {', '.join(missing)}")
        with open(self.source_dir / "vocab.json", encoding="utf-8") as f:
            self.vocab = json.load(f)
        with open(self.source_dir / "special_tokens_map.json", encoding="utf-8") as f:
            self.special = json.load(f)

    def write(self, output_dir):
        output_dir = pathlib.Path(output_dir)
        names = TOKENIZER_FILES + (["tokenizer.json"] if (self.source_dir / "tokenizer.json").is_file() else [])
        for name in names:
            atomic_write(output_dir / name,
                         lambda temporary, name=name: shutil.copyfile(self.source_dir / name, temporary))
        return names


def write_openclip_tokenizer(output_dir):
    """Writes the default tokenizer files into output_dir (used by scripts/golden/preference.py)."""
    return OpenCLIPTokenizerFiles().write(output_dir)


def special_token_ids(files):
    """bos / eos / pad ids and the vocabulary size of a tokenizer."""

    def token_id(role, default):
        token = files.special.get(role, default)
        token = token["content"] if isinstance(token, dict) else token
        if token not in files.vocab:
            raise ConversionError(f"tokenizer: {role} {token!r} is not in vocab.json")
        return files.vocab[token]

    size = max(files.vocab.values()) + 1
    if sorted(files.vocab.values()) != list(range(size)):
        raise ConversionError("tokenizer: vocab.json does not number its tokens 0..n-1")
    return dict(bos=token_id("bos_token", START), eos=token_id("eos_token", END),
                pad=token_id("pad_token", END)), size


def convert(checkpoint, output_dir, tokenizer=None, vision_heads=16, text_heads=16, hidden_act="gelu"):
    state = load_state_dict(checkpoint)
    arch = infer_architecture(state, vision_heads, text_heads)
    tensors = map_weights(state, arch)
    check_shapes(tensors, arch)
    files = CopiedTokenizerFiles(tokenizer) if tokenizer else OpenCLIPTokenizerFiles()
    special_ids, tokenizer_size = special_token_ids(files)
    if tokenizer_size != arch["text"]["vocab_size"]:
        raise ConversionError(f"the tokenizer has {tokenizer_size} ids but token_embedding has "
                              f"{arch['text']['vocab_size']} rows")
    if special_ids["eos"] != tokenizer_size - 1:
        # OpenCLIP pools the text at argmax(ids); transformers at the first eos id. Both are
        # the end token only when it is the largest id.
        raise ConversionError(f"the end token has id {special_ids['eos']}, not the largest id {tokenizer_size - 1}")
    config = clip_config(arch, special_ids, float(state["logit_scale"]), hidden_act)
    # Everything is checked; only now is anything written.
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    written = files.write(output_dir)
    write_json(output_dir / "config.json", config)
    # One metadata entry only: safetensors writes several in a random (hash) order, and the
    # file should be the same bytes on every run. transformers wants "format": "pt".
    metadata = {"format": "pt"}
    atomic_write(output_dir / "model.safetensors",
                 lambda temporary: save_file(dict(sorted(tensors.items())), temporary, metadata=metadata))
    v, t = arch["vision"], arch["text"]
    print(f"vision: width {v['width']}, {v['layers']} layers, {v['heads']} heads, intermediate {v['intermediate']}, "
          f"patch {v['patch']}, image {v['image_size']}")
    print(f"text: width {t['width']}, {t['layers']} layers, {t['heads']} heads, intermediate {t['intermediate']}, "
          f"vocab {t['vocab_size']}, context {t['context_length']}; embed dim {arch['embed_dim']}, "
          f"logit_scale {config['logit_scale_init_value']:.6f}, {hidden_act}")
    for name in ["config.json", "model.safetensors", *written]:
        print(f"wrote {output_dir / name} ({(output_dir / name).stat().st_size} bytes)")
    return config


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="HPS_v2_compressed.pt, HPS_v2.1_compressed.pt or another OpenCLIP ViT")
    parser.add_argument("output_dir")
    parser.add_argument("--tokenizer", metavar="DIR",
                        help="copy the CLIP tokenizer files from DIR instead of building OpenCLIP's")
    parser.add_argument("--vision-heads", type=int, default=16, help="vision attention heads (ViT-H-14: 16)")
    parser.add_argument("--text-heads", type=int, default=16, help="text attention heads (ViT-H-14: 16)")
    parser.add_argument("--hidden-act", choices=["gelu", "quick_gelu"], default="gelu",
                        help="MLP activation (ViT-H-14: exact gelu; OpenAI's CLIP weights: quick_gelu)")
    args = parser.parse_args()
    try:
        convert(args.checkpoint, args.output_dir, args.tokenizer, args.vision_heads, args.text_heads, args.hidden_act)
    except ConversionError as error:
        sys.exit(f"{args.checkpoint}: {error}")


if __name__ == "__main__":
    main()
