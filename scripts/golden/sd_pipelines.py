"""Build two tiny RANDOM Stable Diffusion pipelines and write reference outputs for the Swift tests.

Outputs (all under Tests/Fixtures/, which several Swift test targets share):
  tiny-sd1/                 StableDiffusionPipeline.save_pretrained(safe_serialization=True): SD 1.x layout,
                            epsilon prediction, text encoder quick_gelu, pad = eos.
                            unet/ also holds diffusion_pytorch_model.fp16.safetensors (the fp16 variant).
  tiny-sd1/reference.safetensors, tiny-sd1/sample_0.png, sample_1.png
  tiny-sd2/                 SD 2.x flavour: v_prediction, gelu text encoder, linear projections,
                            attention_head_dim as a LIST, upcast_attention, pad token "!" (id 0) as in the
                            real SD 2.x tokenizer, and the VAE mid-block attention saved under the LEGACY
                            names (query/key/value/proj_attn).
  tiny-sd2/reference.safetensors, tiny-sd2/sample_0.png, sample_1.png
  tokenizer_cases.json      tokenizer ids for >= 220 strings (tiny-sd1 tokenizer, plus a small list for the
                            tiny-sd2 tokenizer whose pad token "!" is a special token).
Run:    scripts/golden/make-venv && scripts/golden/.venv/bin/python scripts/golden/sd_pipelines.py

Every weight is random (seeded): nothing is downloaded. The CLIP-format BPE vocabulary is trained by this
script from the corpus below. Rerunning gives byte-identical files (same library versions, same machine):
safetensors headers are rewritten with sorted keys, JSON is written with sorted keys.

Key scheme of reference.safetensors (float32 unless noted; H = text hidden size, 32 for sd1, 64 for sd2):
  scheduler_alphas_cumprod   [1000]        diffusers' DDIMScheduler.alphas_cumprod (float32, as it computes it)
  prompt_ids                 int64 [3,77]  tokenizer(text_prompts, padding="max_length", max_length=77,
                                           truncation=True).input_ids
  text_embeddings            [3,77,H]      text_encoder(prompt_ids).last_hidden_state (after final_layer_norm)
  text_hidden_penultimate    [3,77,H]      output_hidden_states=True: hidden_states[-2] (NO final_layer_norm)
  unet_latents               [3,4,8,8]     seeded randn
  unet_timesteps             int64 [3]     [999, 500, 1], one per sample
  unet_encoder_hidden_states [3,77,H]      = text_embeddings
  unet_out                   [3,4,8,8]     unet(unet_latents, unet_timesteps, unet_encoder_hidden_states).sample
  unet_out_scalar_t          [3,4,8,8]     same with the Python int timestep 250 for the whole batch
  vae_decode_latents         [2,4,8,8]     seeded randn
  vae_decoded                [2,3,16,16]   vae.decode(vae_decode_latents / scaling_factor).sample
  vae_encode_image           [2,3,16,16]   seeded uniform in [-1, 1]
  vae_encoded_mean           [2,4,8,8]     vae.encode(vae_encode_image).latent_dist.mean
  vae_encoded_logvar         [2,4,8,8]     .latent_dist.logvar (diffusers clamps it to [-30, 20])
  traj_timesteps             int64 [10]    scheduler.timesteps of the sampling run below
  traj_initial_latents       [2,4,8,8]     x_T (the pipeline's first randn draw; init_noise_sigma = 1)
  traj_eps                   [10,2,4,8,8]  guided model output passed to scheduler.step at each step
                                           (epsilon for sd1, v for sd2): uncond + 5 * (cond - uncond)
  traj_noise                 [10,2,4,8,8]  the variance noise scheduler.step drew at each step, in order
  traj_latents               [11,2,4,8,8]  x_T, then the latents after each step (last = x_0)
  traj_image                 [2,3,16,16]   final image, output_type="pt" (in [0, 1])
  traj_log_probs             float64 [10,2]  independent float64 DDIM log-prob of traj_latents[i+1]
                                           given traj_latents[i], traj_eps[i], traj_timesteps[i] (docs/algorithm.md §2)
  logprob cases (tiny-sd1 only; scheduler math, no model). For case C in
  logprob, logprob_eta05, logprob_v, logprob_sample:
    C_x_t [3,4,8,8], C_model_output [3,4,8,8], C_timesteps int64 [3] = [901, 501, 1],
    C_x_prev [3,4,8,8] (given x_{t-1}: diffusers' own DDIMScheduler.step of each sample with eta and a
    seeded variance noise, so it is a plausible sample), C_out float64 [3] (mean log-prob per sample),
    C_mu float64 [3,4,8,8] (the mean of p(x_{t-1} | x_t)), C_std float64 [3] (sigma_t per sample).
    logprob_eps is the same tensor as logprob_model_output (the epsilon case, stored under both names).
The file carries __metadata__ {"generator", "torch", "diffusers", "transformers"}.
The traj_* run: pipe(prompts, num_inference_steps=10, guidance_scale=5, eta=1, height=width=16,
generator=torch.Generator("cpu").manual_seed(1234)); negative prompt = the default (""). diffusers draws
x_T = randn([2,4,8,8], generator) first, then ONE randn([2,4,8,8]) from the same generator inside each
scheduler.step (after that step's UNet call); VAE decoding draws nothing. The script checks this by replaying
the generator. Since x_{t-1} = mu + sigma * z, traj_log_probs depend (almost) only on z and sigma: sd1 and sd2
share the seed, so their traj_log_probs agree to ~1e-6 although their latents differ.

tokenizer_cases.json: {"cases": [{"text", "ids_padded", "ids"}], "cases_sd2": [...], plus bos_id, eos_id,
pad_id, pad_id_sd2, vocab_size, max_length}. ids_padded = tokenizer(text, padding="max_length", max_length=77,
truncation=True).input_ids; ids = tokenizer(text).input_ids (no padding or truncation).

The scalar parameters are in the JSON table below the docstring (parsed by the script: single source).
"""

# Scalar parameters, as JSON (the script parses this comment block itself):
# PARAMS-BEGIN
# {
#   "num_bpe_merges": 600,
#   "model_max_length": 77,
#   "seeds": {"weights_sd1": 1, "weights_sd2": 2, "param_jitter_sd1": 101, "param_jitter_sd2": 102,
#             "unet_latents": 10, "vae_latents": 11, "vae_image": 12, "logprob": 20,
#             "tokenizer_cases": 7},
#   "param_jitter_std_1d": 0.1,
#   "text_prompts": ["", "a red circle", "two green squares on a blue background"],
#   "unet_timesteps": [999, 500, 1],
#   "unet_scalar_timestep": 250,
#   "scaling_factor": {"sd1": 0.18215, "sd2": 0.5},
#   "scheduler": {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012,
#                 "beta_schedule": "scaled_linear", "set_alpha_to_one": false, "steps_offset": 1,
#                 "clip_sample": false, "timestep_spacing": "leading"},
#   "prediction_type": {"sd1": "epsilon", "sd2": "v_prediction"},
#   "trajectory": {"prompts": ["a red circle", "two green squares"],
#                  "num_inference_steps": 10, "guidance_scale": 5.0, "eta": 1.0,
#                  "generator_seed": 1234, "height": 16, "width": 16},
#   "logprob": {"num_inference_steps": 10, "timesteps": [901, 501, 1],
#               "cases": {"logprob": {"eta": 1.0, "prediction_type": "epsilon"},
#                         "logprob_eta05": {"eta": 0.5, "prediction_type": "epsilon"},
#                         "logprob_v": {"eta": 1.0, "prediction_type": "v_prediction"},
#                         "logprob_sample": {"eta": 1.0, "prediction_type": "sample"}}}
# }
# PARAMS-END

import copy
import functools
import hashlib
import json
import math
import os
import random
import shutil
import struct
import sys
import unicodedata
from collections import Counter

import numpy as np
import regex
import torch

torch.set_num_threads(1)  # one thread: bit-stable CPU reductions across reruns
torch.use_deterministic_algorithms(True)

import diffusers  # noqa: E402
import transformers  # noqa: E402
from diffusers import (AutoencoderKL, DDIMScheduler, StableDiffusionPipeline,  # noqa: E402
                       UNet2DConditionModel)
from safetensors.torch import load_file, save  # noqa: E402
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer  # noqa: E402

diffusers.utils.logging.set_verbosity_error()
transformers.utils.logging.set_verbosity_error()

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
GENERATOR = "scripts/golden/sd_pipelines.py"


def _read_params():
    with open(os.path.abspath(__file__), encoding="utf-8") as f:
        src = f.read()
    block = src.split("# PARAMS-BEGIN\n", 1)[1].split("# PARAMS-END\n", 1)[0]
    return json.loads("".join(line[2:] + "\n" for line in block.splitlines()))


P = _read_params()
try:  # the fixtures assume a venv without ftfy (it is not used by transformers 5's CLIPTokenizer either)
    import ftfy  # noqa: F401
    sys.exit("ftfy is installed in this venv: uninstall it (the fixtures assume a venv without ftfy)")
except ImportError:
    pass
# transformers >= 5: CLIPTokenizer is the `tokenizers`-backed one (no slow/BasicTokenizer/ftfy path). The case
# ids below are what that backend produces; an older transformers would silently give other ids for CJK,
# control characters, etc., so refuse to run with one.
if "TokenizersBackend" not in [c.__name__ for c in CLIPTokenizer.__mro__]:
    sys.exit(f"transformers {transformers.__version__}: CLIPTokenizer is not the tokenizers backend (need >= 5)")

# =====================================================================================================
# 1. CLIP-format BPE vocabulary, trained here
# =====================================================================================================

ANIMALS = """cat dog horse zebra lion tiger bear elephant giraffe monkey rabbit fox wolf owl eagle duck goose
penguin dolphin whale shark turtle frog snake lizard mouse rat squirrel deer moose camel llama sheep goat cow
pig chicken parrot swan bee butterfly ant spider crab octopus fish hamster hedgehog kangaroo koala panda
otter beaver raccoon badger bat crow pigeon flamingo peacock ostrich hippo rhino cheetah leopard jaguar
gorilla donkey mule pony puppy kitten lamb calf seal walrus jellyfish lobster snail worm ladybug dragonfly
hummingbird sparrow robin falcon hawk heron pelican seagull toucan chameleon iguana crocodile alligator
salamander buffalo bison antelope gazelle yak""".split()
COLOURS = """red green blue yellow orange purple pink brown black white gray grey golden silver violet indigo
teal turquoise crimson scarlet beige maroon navy olive lime cyan magenta ivory""".split()
SHAPES = """circle square triangle rectangle star hexagon pentagon octagon oval diamond heart cube sphere cone
cylinder pyramid spiral ring cross arrow crescent line dot stripe wave grid""".split()
ACTIVITIES = """riding a bike|playing chess|washing the dishes|reading a book|jumping over a fence|swimming
in a lake|running on the beach|sleeping under a tree|eating an apple|painting a picture|flying a kite|
climbing a mountain|dancing in the rain|playing the guitar|cooking dinner|drinking tea|writing a letter|
skating on ice|surfing a big wave|building a sandcastle|watching the stars|singing a song|playing football|
catching a ball|walking in the park|sitting on a chair|driving a car|baking a cake|planting flowers|
fishing from a boat|hiking through the forest|juggling three oranges|taking a photo|riding a horse|
playing the piano|blowing bubbles|knitting a scarf|digging a hole|carrying a basket|wearing a hat""".replace(
    "\n", " ").split("|")
PLACES = """forest desert ocean beach mountain river lake city village garden kitchen library castle bridge
meadow field island jungle valley cave street market museum school station harbor farm park sky moon sun
space room window table""".split()
ADJECTIVES = """big small tiny huge happy sad angry sleepy cute fluffy shiny bright dark old young fast slow
tall short round square soft hard warm cold wet dry striped spotted wooden metal glass paper plastic
beautiful ugly strange funny quiet loud gentle brave clever curious hungry busy lazy friendly wild""".split()
NUMBERS = """one two three four five six seven eight nine ten eleven twelve twenty hundred thousand first
second third many several few""".split()
SENTENCES = """A photograph of an astronaut riding a horse on the moon.
An oil painting of a cat wearing a crown, highly detailed, trending on artstation.
The quick brown fox jumps over the lazy dog.
Two red circles and three blue squares on a white background.
A watercolor painting of a small village by the river at sunset.
A close-up photo of a bee collecting pollen from a yellow flower.
There are 7 green triangles, 12 orange stars and 100 purple dots.
In 2023 the zoo had 45 animals: 3 lions, 2 tigers and 40 birds.
It's a sunny day; the children are playing in the park.
I don't know why the penguin is wearing sunglasses, but it looks great!
She'll paint the fence white and he'd rather paint it blue.
We're going to the beach tomorrow, aren't we?
They've built a huge castle made of sand and shells.
A digital illustration of a robot reading a newspaper in a cafe.
A low-poly render of a mountain landscape with a lake.
A black and white sketch of an old man playing the violin.
A cartoon of a dog and a cat having a picnic under an oak tree.
Photo of a red sports car parked in front of a modern house.
A macro photograph of a snowflake on a dark blue glove.
A pixel art scene of a knight fighting a dragon near a cave.
The cat sat on the mat and the dog lay on the rug.
Colourful balloons floating over the city at dawn.
A bowl of fresh fruit: apples, bananas, grapes and cherries.
A minimalist poster with a single orange circle in the center.
An abstract composition of overlapping squares and circles in pastel colors.
The number 42 written in golden letters on a wall.
Count the ducks: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10.
A lion, a tiger and a bear walking together through the snow.
A happy family of ducks swimming across a calm pond.
A panda eating bamboo while sitting in the grass.
A tiny mouse holding a giant piece of cheese.
An elephant painting a picture with its trunk.
A group of friends playing chess in the park on a summer afternoon.
A turtle racing a rabbit on a long dusty road.
A bright rainbow over a green valley after the storm.
A hedgehog sleeping inside a teacup.
A squirrel collecting nuts for the winter.
A horse galloping along the shore at sunrise.
An owl sitting on a branch in the moonlight.
A monkey playing the drums in a jazz band.""".splitlines()

CLIP_PATTERN = (r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|"""
                r"""[^\s\p{L}\p{N}]+""")

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def bytes_to_unicode():
    """CLIP/GPT-2 byte -> printable unicode symbol table, in CLIP's vocabulary order."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    order, codes, extra = printable[:], printable[:], 0
    for b in range(256):
        if b not in printable:
            order.append(b)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(order, (chr(c) for c in codes)))  # insertion order = vocabulary order


BYTE_SYMBOLS = bytes_to_unicode()


def training_corpus():
    lines = list(SENTENCES)
    for i, animal in enumerate(ANIMALS):
        colour = COLOURS[(3 * i) % len(COLOURS)]
        adj = ADJECTIVES[(5 * i + 1) % len(ADJECTIVES)]
        act = ACTIVITIES[(7 * i + 2) % len(ACTIVITIES)]
        place = PLACES[(11 * i + 3) % len(PLACES)]
        lines.append(f"a {adj} {colour} {animal} {act} in the {place}")
        lines.append(f"{NUMBERS[i % len(NUMBERS)]} {animal}s and {i + 2} {COLOURS[i % len(COLOURS)]} "
                     f"{SHAPES[i % len(SHAPES)]}s")
    for i, shape in enumerate(SHAPES):
        for j in range(4):
            colour = COLOURS[(i + 7 * j) % len(COLOURS)]
            back = COLOURS[(2 * i + 3 * j + 1) % len(COLOURS)]
            lines.append(f"{j + 1} {colour} {shape}s on a {back} background")
    for i, act in enumerate(ACTIVITIES):
        lines.append(f"a {ADJECTIVES[i % len(ADJECTIVES)]} {ANIMALS[(13 * i) % len(ANIMALS)]} {act}")
    lines.append(" ".join(PLACES) + " " + " ".join(ADJECTIVES) + " " + " ".join(NUMBERS))
    lines.append(" ".join(str(d) for d in range(10)) + " 2024 1999 365 3.14 50% 1,000")
    return "\n".join(lines)


def train_bpe(corpus, num_merges):
    """Greedy BPE: repeatedly merge the most frequent adjacent pair (ties: smallest pair as strings)."""
    words = Counter()
    for w in regex.findall(CLIP_PATTERN, corpus.lower()):
        syms = [BYTE_SYMBOLS[b] for b in w.encode("utf-8")]
        syms[-1] += "</w>"
        words[tuple(syms)] += 1
    seqs = [(list(k), c) for k, c in sorted(words.items())]
    merges, last_count = [], None
    for _ in range(num_merges):
        pairs = Counter()
        for s, c in seqs:
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        (a, b), last_count = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        merges.append((a, b))
        for i, (s, c) in enumerate(seqs):
            out, j = [], 0
            while j < len(s):
                if j + 1 < len(s) and s[j] == a and s[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(s[j])
                    j += 1
            seqs[i] = (out, c)
    assert len(merges) == num_merges, f"corpus supports only {len(merges)} merges"
    return merges, len(words), sum(words.values()), last_count


def clip_vocab(merges):
    base = list(BYTE_SYMBOLS.values())
    tokens = base + [s + "</w>" for s in base] + [a + b for a, b in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    assert len(set(tokens)) == len(tokens), "duplicate vocabulary entry"
    return {t: i for i, t in enumerate(tokens)}


def write_vocab_files(folder, vocab, merges):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(vocab, ensure_ascii=False))  # id order, one line, as CLIP's vocab.json
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))


class ReferenceBPE:
    """Independent pure-Python CLIP BPE encoder reproducing transformers' CLIPTokenizer (tokenizers backend):
    special tokens matched verbatim (case-sensitive) first, then NFC, whitespace runs -> " ", lower-case
    (per character), CLIP's regex, then the GPT-2 regex of the ByteLevel pre-tokenizer on each piece (it only
    matters for a lower-cased "<|startoftext|>" typed in other case: "<|", "startoftext", "|>"), bytes ->
    symbols, "</w>" on the last symbol, merges by rank. Used only as a cross-check."""

    def __init__(self, vocab, merges, specials):
        self.vocab, self.specials = vocab, specials
        self.ranks = {m: i for i, m in enumerate(merges)}

    def bpe(self, word):
        syms = [BYTE_SYMBOLS[b] for b in word.encode("utf-8")]
        syms[-1] += "</w>"
        while len(syms) > 1:
            cands = [(self.ranks.get((a, b), math.inf), i) for i, (a, b) in enumerate(zip(syms, syms[1:]))]
            rank, _ = min(cands)
            if rank == math.inf:
                break
            pair, out, j = next(p for p in self.ranks if self.ranks[p] == rank), [], 0
            while j < len(syms):
                if j + 1 < len(syms) and (syms[j], syms[j + 1]) == pair:
                    out.append(syms[j] + syms[j + 1])
                    j += 2
                else:
                    out.append(syms[j])
                    j += 1
            syms = out
        return [self.vocab[s] for s in syms]

    def encode(self, text):
        ids = [self.vocab["<|startoftext|>"]]
        split = regex.compile("(" + "|".join(regex.escape(s) for s in self.specials) + ")")
        for piece in split.split(text):
            if piece in self.specials:
                ids.append(self.specials[piece])
                continue
            piece = regex.sub(r"\s+", " ", unicodedata.normalize("NFC", piece))
            piece = "".join(ch.lower() for ch in piece)  # per character (no final-sigma rule)
            for w in regex.findall(CLIP_PATTERN, piece):
                for w2 in regex.findall(GPT2_PATTERN, w):  # the ByteLevel step's own split (use_regex)
                    ids += self.bpe(w2)
        return ids + [self.vocab["<|endoftext|>"]]


# =====================================================================================================
# 2. Tokenizer cases
# =====================================================================================================

def tokenizer_case_texts():
    t = [
        "", " ", "   ", "\t", "\n", " \t\n\r ", "a", "A", "I", ".", "!", "?", "...", "!!!", "?!",
        "a red circle", "two green squares on a blue background", "A RED CIRCLE", "a Red Circle",
        "HeLLo WoRLD", "the quick brown fox jumps over the lazy dog",
        "The Quick Brown Fox Jumps Over The Lazy Dog.",
        "a photo of a cat", "a photo of a dog.", "an oil painting of a horse, trending on artstation",
        "a cat,a dog;a bird:a fish", "hello, world!", "hello,world", "(parenthesis) [brackets] {braces}",
        "<angle brackets>", "a-b_c/d\\e|f", "semi;colon:colon", "\"double quotes\" and 'single quotes'",
        "it's", "don't", "DON'T", "Don't stop", "we're here", "they've gone", "I'm happy", "you'll see",
        "he'd go", "she's", "cats' toys", "'s", "'tis the season", "rock'n'roll", "don’t (curly apostrophe)",
        "it’s", "o'clock", "y'all'd've",
        "0", "7", "42", "1234567890", "3.14159", "1,000,000", "$5.99", "50%", "-273.15°C", "1/2", "2+2=4",
        "24/7", "v2.0.1", "#1", "No. 9", "1st 2nd 3rd 4th", "2024-05-17", "12:30pm", "1e-10", "0x1F",
        "three cats", "3 cats", "three 3 III iii",
        "café", "naïve", "résumé", "Crème Brûlée", "ÀÉÎÕÜ", "façade", "jalapeño", "smørrebrød",
        "Ångström", "Zürich", "straße", "STRASSE", "İstanbul", "ıi", "ΟΔΟΣ", "Σίσυφος", "ὈΔΥΣΣΕΎΣ",
        "cafe\u0301 (decomposed e + combining acute)", "e\u0301\u0301", "\u0301 lone combining mark",
        "Ⅻ roman numeral", "½ cup", "x² + y³", "H₂O", "٣ arabic-indic digit", "١٢٣", "五",
        "ﬁsh (ligature)", "ＡＢＣ fullwidth", "１２３", "™ © ®", "→ ← ↑ ↓", "∑∫√∞≠≤≥", "°", "€100", "£5", "¥1000",
        "😀", "a cat 🐱 and a dog 🐶", "\U0001F408\u200d\u2b1b (ZWJ sequence)", "👍🏽 thumbs", "🇫🇷 flag", "1\ufe0f\u20e3 keycap",
        "\u2764\ufe0f", "🎉🎉🎉", "🙂🙃", "☃ snowman", "★☆✦", "emoji🙂inside", "\u2665\ufe0f heart",
        "東京", "東京タワー", "我爱你", "一只红色的猫", "日本語のテキスト", "カタカナ", "ひらがな", "한국어", "안녕하세요",
        "中文 and English", "猫cat猫", "Привет, мир", "ПРИВЕТ", "Ελληνικά", "שלום", "مرحبا", "नमस्ते", "สวัสดี",
        "Tiếng Việt", "ǅemal", "ﬀ",
        "multiple   spaces   here", "  leading spaces", "trailing spaces   ", "tab\tseparated\tvalues",
        "new\nline", "windows\r\nline", "mixed \t\n whitespace", "non\u00a0breaking\u00a0space",
        "ideographic\u3000space", "zero\u200bwidth\u200bspace", "en\u2002space", "line\u2028separator",
        "soft\u00adhyphen", "bell\u0007char", "nul\u0000char", "escape\u001b[31mred", "del\u007fchar",
        "&amp;", "&lt;b&gt;bold&lt;/b&gt;", "<b>bold</b>", "&quot;quoted&quot;", "&#39;apostrophe&#39;",
        "&nbsp;space", "Tom &amp; Jerry", "<img src=\"x.png\">", "a &gt; b", "&#x1F600;",
        "https://example.com/path?q=1&r=2", "user@example.com", "#hashtag @mention", "C++ and C#",
        "snake_case_name", "camelCaseName", "kebab-case-name", "foo.bar()", "x = [1, 2, 3]",
        "if (a && b) { return; }", "~~strike~~ **bold** _it_", "`code`", "...and so on...", "—em dash—",
        "–en dash–", "«guillemets»", "“smart quotes”", "‘single smart’", "¿qué?", "¡hola!", "ok!!",
        "wow!!!", "hi !! there", "end!", "!start", "a ! b", "<|startoftext|>", "<|endoftext|>",
        "<|startoftext|>a cat<|endoftext|>", "<|STARTOFTEXT|>", "a <|endoftext|> b", "<|endoftext",
        "ａ", "A" * 5, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "supercalifragilisticexpialidocious", "antidisestablishmentarianism", "zzzzyzzyzx", "qwxjkv",
    ]
    long1 = ", ".join(f"a {c} {a}" for c, a in zip(COLOURS * 4, ANIMALS))  # far over 77 tokens
    long2 = "cat " * 75  # exactly 75 words
    long3 = "cat " * 76  # one word over the 75 content tokens
    long4 = " ".join(SENTENCES[:8])
    long5 = "😀" * 40
    long6 = "東京" * 50
    long7 = "1234567890" * 10
    t += [long1, long2, long3, long4, long5, long6, long7, "cat " * 74 + "dog", "a" + "!" * 100]
    rng = random.Random(P["seeds"]["tokenizer_cases"])
    pool = ANIMALS + COLOURS + SHAPES + PLACES + ADJECTIVES + NUMBERS + ["the", "a", "an", "of", "on", "in"]
    punct = [".", ",", "!", "?", ";", ":", "-", "'", "\"", "(", ")", "...", "&", "/", "🙂", "é", "中"]
    seps = [" ", " ", " ", "  ", "\t", "\n", ", ", "-", ""]
    while len(t) < 240:
        n = rng.randint(1, 12)
        parts = []
        for _ in range(n):
            r = rng.random()
            if r < 0.7:
                w = rng.choice(pool)
                w = w.upper() if rng.random() < 0.1 else (w.capitalize() if rng.random() < 0.2 else w)
            elif r < 0.85:
                w = str(rng.randint(0, 10 ** rng.randint(1, 5)))
            else:
                w = rng.choice(punct)
            parts.append(w)
            parts.append(rng.choice(seps))
        t.append("".join(parts))
    return t


def tokenizer_cases(tokenizer, texts):
    cases = []
    for text in texts:
        padded = tokenizer(text, padding="max_length", max_length=P["model_max_length"], truncation=True).input_ids
        ids = tokenizer(text).input_ids
        assert len(padded) == P["model_max_length"]
        cases.append({"text": text, "ids_padded": padded, "ids": ids})
    return cases


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False) + "\n")


def write_cases_json(path, header, lists):
    """One case per line (compact), lists of cases under their keys, everything with sorted keys."""
    out = ["{"]
    for k in sorted(header):
        out.append(f"  {json.dumps(k)}: {json.dumps(header[k], sort_keys=True, ensure_ascii=False)},")
    for li, k in enumerate(sorted(lists)):
        out.append(f"  {json.dumps(k)}: [")
        rows = [json.dumps(c, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for c in lists[k]]
        out.append(",\n".join("    " + r for r in rows))
        out.append("  ]" + ("," if li + 1 < len(lists) else ""))
    out.append("}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    with open(path, encoding="utf-8") as f:
        assert json.load(f)[sorted(lists)[0]] == lists[sorted(lists)[0]]


# =====================================================================================================
# 3. Tiny pipelines
# =====================================================================================================

def scheduler(prediction_type):
    return DDIMScheduler(prediction_type=prediction_type, **P["scheduler"])


def text_encoder_config(flavour, tok):
    common = dict(vocab_size=len(tok), num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                  max_position_embeddings=P["model_max_length"], bos_token_id=tok.bos_token_id,
                  eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    if flavour == "sd1":
        return CLIPTextConfig(hidden_size=32, hidden_act="quick_gelu", **common)
    return CLIPTextConfig(hidden_size=64, hidden_act="gelu", **common)


def unet_config(flavour):
    if flavour == "sd1":
        return dict(sample_size=8, in_channels=4, out_channels=4, block_out_channels=(8, 16, 16),
                    layers_per_block=2,
                    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
                    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
                    cross_attention_dim=32, attention_head_dim=8, norm_num_groups=4,
                    use_linear_projection=False)
    return dict(sample_size=8, in_channels=4, out_channels=4, block_out_channels=(16, 24), layers_per_block=1,
                down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
                cross_attention_dim=64, attention_head_dim=[2, 4], use_linear_projection=True,
                upcast_attention=True, norm_num_groups=8, flip_sin_to_cos=True, freq_shift=0)


def vae_config(flavour):
    return dict(in_channels=3, out_channels=3, block_out_channels=(8, 16),
                down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
                up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"), layers_per_block=1,
                latent_channels=4, norm_num_groups=4, sample_size=16,
                scaling_factor=P["scaling_factor"][flavour])


def jitter_1d(module, seed):
    """Default inits leave norm weights at 1 and many biases at 0, which would hide swapped or missing
    parameters: add seeded noise to every 1-D parameter (norm weights/biases, linear/conv biases)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in module.named_parameters():
            if p.dim() == 1:
                p.add_(torch.randn(p.shape, generator=g) * P["param_jitter_std_1d"])


def build_pipeline(flavour, tokenizer):
    seed = P["seeds"][f"weights_{flavour}"]
    torch.manual_seed(seed)
    text_encoder = CLIPTextModel(text_encoder_config(flavour, tokenizer)).eval()
    torch.manual_seed(seed + 1000)
    unet = UNet2DConditionModel(**unet_config(flavour)).eval()
    torch.manual_seed(seed + 2000)
    vae = AutoencoderKL(**vae_config(flavour)).eval()
    jseed = P["seeds"][f"param_jitter_{flavour}"]
    for i, m in enumerate((text_encoder, unet, vae)):
        jitter_1d(m, jseed * 10 + i)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler(P["prediction_type"][flavour]), safety_checker=None,
                                   feature_extractor=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


# ---- deterministic files ----------------------------------------------------------------------------

def sort_safetensors_header(path):
    """safetensors writes its JSON header in hash-map order; re-emit it with sorted keys (same length,
    same data offsets) so that reruns produce byte-identical files."""
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.dumps(json.loads(blob[8:8 + n]), sort_keys=True, separators=(",", ":")).encode()
    assert len(header) <= n
    with open(path, "wb") as f:
        f.write(blob[:8] + header.ljust(n, b" ") + blob[8 + n:])


def save_tensors(path, tensors, metadata):
    blob = save(tensors, metadata=metadata)
    with open(path, "wb") as f:
        f.write(blob)
    sort_safetensors_header(path)


LEGACY_VAE_ATTN = {"to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"}


def rename_vae_attention_to_legacy(path):
    sd = load_file(path)
    out, renamed = {}, 0
    for k, v in sd.items():
        nk = k
        for part in ("encoder.mid_block.attentions.0.", "decoder.mid_block.attentions.0."):
            if k.startswith(part):
                rest = k[len(part):]
                for new, old in LEGACY_VAE_ATTN.items():
                    if rest.startswith(new + "."):
                        nk = part + old + rest[len(new):]
                        renamed += 1
        out[nk] = v
    assert renamed == 16, renamed  # 2 blocks x 4 projections x (weight, bias)
    save_tensors(path, out, {"format": "pt"})


def save_pipeline(pipe, flavour, vocab, merges):
    folder = os.path.join(FIXTURES, f"tiny-{flavour}")
    pipe.save_pretrained(folder, safe_serialization=True)
    tok_dir = os.path.join(folder, "tokenizer")
    # transformers 5 writes tokenizer.json + tokenizer_config.json only; real SD checkpoints ship CLIP's own
    # vocab.json + merges.txt (+ special_tokens_map.json) and no tokenizer.json: use that layout.
    os.remove(os.path.join(tok_dir, "tokenizer.json"))
    write_vocab_files(tok_dir, vocab, merges)
    tok = pipe.tokenizer
    write_json(os.path.join(tok_dir, "special_tokens_map.json"),
               {"bos_token": tok.bos_token, "eos_token": tok.eos_token, "pad_token": tok.pad_token,
                "unk_token": tok.unk_token})
    if flavour == "sd1":  # fp16 variant of the UNet beside the float32 weights
        tmp = os.path.join(FIXTURES, ".tmp-fp16")
        copy.deepcopy(pipe.unet).to(torch.float16).save_pretrained(tmp, variant="fp16", safe_serialization=True)
        name = "diffusion_pytorch_model.fp16.safetensors"
        shutil.move(os.path.join(tmp, name), os.path.join(folder, "unet", name))
        shutil.rmtree(tmp)
    if flavour == "sd2":
        rename_vae_attention_to_legacy(os.path.join(folder, "vae", "diffusion_pytorch_model.safetensors"))
    for dirpath, _, files in os.walk(folder):
        for fn in files:
            if fn.endswith(".safetensors"):
                sort_safetensors_header(os.path.join(dirpath, fn))
    return folder


# =====================================================================================================
# 4. Float64 DDIM log-prob (docs/algorithm.md §2), independent of diffusers
# =====================================================================================================

def alphas_cumprod_f64():
    s = P["scheduler"]
    assert s["beta_schedule"] == "scaled_linear"
    betas = torch.linspace(s["beta_start"] ** 0.5, s["beta_end"] ** 0.5, s["num_train_timesteps"],
                           dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


AC64 = alphas_cumprod_f64()


def ddim_logprob_f64(x_t, model_output, timesteps, x_prev, eta, num_steps, prediction_type):
    """Returns (log_prob [B] (mean over non-batch dims), mu, sigma [B]); all float64."""
    s = P["scheduler"]
    x_t, mo, x_prev = (v.to(torch.float64) for v in (x_t, model_output, x_prev))
    t = timesteps.to(torch.int64)
    prev_t = t - s["num_train_timesteps"] // num_steps
    final = torch.tensor(1.0, dtype=torch.float64) if s["set_alpha_to_one"] else AC64[0]
    a_t = AC64[t]
    a_prev = torch.where(prev_t >= 0, AC64[prev_t.clamp(min=0)], final)
    shape = (-1,) + (1,) * (x_t.dim() - 1)
    a_t, a_prev = a_t.reshape(shape), a_prev.reshape(shape)
    if prediction_type == "epsilon":
        x0 = (x_t - (1 - a_t).sqrt() * mo) / a_t.sqrt()
        eps = mo
    elif prediction_type == "v_prediction":
        x0 = a_t.sqrt() * x_t - (1 - a_t).sqrt() * mo
        eps = a_t.sqrt() * mo + (1 - a_t).sqrt() * x_t
    elif prediction_type == "sample":
        x0 = mo
        eps = (x_t - a_t.sqrt() * x0) / (1 - a_t).sqrt()
    else:
        raise ValueError(prediction_type)
    assert eta > 0
    sigma = eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).sqrt()
    mu = a_prev.sqrt() * x0 + (1 - a_prev - sigma ** 2).sqrt() * eps
    logp = -((x_prev - mu) ** 2) / (2 * sigma ** 2) - sigma.log() - math.log(math.sqrt(2 * math.pi))
    return logp.mean(dim=tuple(range(1, logp.dim()))), mu, sigma.reshape(-1)


# =====================================================================================================
# 5. References
# =====================================================================================================

def seeded_randn(seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def model_references(pipe):
    R = {}
    tok, te, unet, vae = pipe.tokenizer, pipe.text_encoder, pipe.unet, pipe.vae
    R["scheduler_alphas_cumprod"] = pipe.scheduler.alphas_cumprod.clone()
    ids = tok(P["text_prompts"], padding="max_length", max_length=P["model_max_length"], truncation=True,
              return_tensors="pt").input_ids
    R["prompt_ids"] = ids.to(torch.int64)
    out = te(ids, output_hidden_states=True)
    R["text_embeddings"] = out.last_hidden_state
    R["text_hidden_penultimate"] = out.hidden_states[-2]
    R["unet_latents"] = seeded_randn(P["seeds"]["unet_latents"], 3, 4, 8, 8)
    R["unet_timesteps"] = torch.tensor(P["unet_timesteps"], dtype=torch.int64)
    R["unet_encoder_hidden_states"] = R["text_embeddings"]
    R["unet_out"] = unet(R["unet_latents"], R["unet_timesteps"], encoder_hidden_states=R["text_embeddings"]).sample
    R["unet_out_scalar_t"] = unet(R["unet_latents"], P["unet_scalar_timestep"],
                                  encoder_hidden_states=R["text_embeddings"]).sample
    R["vae_decode_latents"] = seeded_randn(P["seeds"]["vae_latents"], 2, 4, 8, 8)
    R["vae_decoded"] = vae.decode(R["vae_decode_latents"] / vae.config.scaling_factor).sample
    g = torch.Generator().manual_seed(P["seeds"]["vae_image"])
    R["vae_encode_image"] = torch.rand(2, 3, 16, 16, generator=g) * 2 - 1
    dist = vae.encode(R["vae_encode_image"]).latent_dist
    R["vae_encoded_mean"] = dist.mean
    R["vae_encoded_logvar"] = dist.logvar
    return R


@torch.no_grad()
def trajectory(pipe, output_type):
    """Runs the pipeline and captures every random draw and every scheduler.step call."""
    import diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion as pipe_mod
    import diffusers.schedulers.scheduling_ddim as ddim_mod
    T = P["trajectory"]
    draws, steps = [], []
    orig_pipe_randn, orig_ddim_randn = pipe_mod.randn_tensor, ddim_mod.randn_tensor
    orig_step = pipe.scheduler.step

    def recording(fn, tag):
        def wrapper(*a, **k):
            z = fn(*a, **k)
            draws.append((tag, z.clone()))
            return z
        return wrapper

    @functools.wraps(orig_step)  # keeps the signature: the pipeline passes eta/generator only if step has them
    def step(model_output, timestep, sample, *a, **k):
        out = orig_step(model_output, timestep, sample, *a, **k)
        steps.append((int(timestep), model_output.clone(), sample.clone(), out[0].clone()))
        return out

    pipe_mod.randn_tensor = recording(orig_pipe_randn, "pipeline")
    ddim_mod.randn_tensor = recording(orig_ddim_randn, "scheduler")
    pipe.scheduler.step = step
    try:
        result = pipe(T["prompts"], height=T["height"], width=T["width"], num_inference_steps=T["num_inference_steps"],
                      guidance_scale=T["guidance_scale"], eta=T["eta"],
                      generator=torch.Generator("cpu").manual_seed(T["generator_seed"]), output_type=output_type)
    finally:
        pipe_mod.randn_tensor, ddim_mod.randn_tensor = orig_pipe_randn, orig_ddim_randn
        del pipe.scheduler.step
    timesteps = pipe.scheduler.timesteps.clone()
    return result.images, timesteps, draws, steps


@torch.no_grad()
def trajectory_references(pipe, flavour, folder):
    T = P["trajectory"]
    images_pt, timesteps, draws, steps = trajectory(pipe, "pt")
    n = T["num_inference_steps"]
    assert [tag for tag, _ in draws] == ["pipeline"] + ["scheduler"] * n, [tag for tag, _ in draws]
    assert [s[0] for s in steps] == timesteps.tolist()
    x = [steps[0][2]] + [s[3] for s in steps]
    assert torch.equal(draws[0][1], x[0])  # init_noise_sigma is 1: x_T is the raw draw
    R = {"traj_timesteps": timesteps.to(torch.int64), "traj_initial_latents": x[0],
         "traj_eps": torch.stack([s[1] for s in steps]), "traj_noise": torch.stack([z for _, z in draws[1:]]),
         "traj_latents": torch.stack(x), "traj_image": images_pt}
    # (a) every draw comes, in order, from ONE CPU generator: x_T then one noise per step (after the UNet)
    g = torch.Generator("cpu").manual_seed(T["generator_seed"])
    shape = tuple(x[0].shape)
    assert torch.equal(torch.randn(shape, generator=g), R["traj_initial_latents"])
    for i in range(n):
        assert torch.equal(torch.randn(shape, generator=g), R["traj_noise"][i])
    # (b) redo the DDIM update in float32 exactly as diffusers orders it, from the captured values
    ac = pipe.scheduler.alphas_cumprod
    pt = pipe.scheduler.config.prediction_type
    worst32 = 0.0
    for i, t in enumerate(timesteps.tolist()):
        prev = t - 1000 // n
        a_t, a_p = ac[t], (ac[prev] if prev >= 0 else pipe.scheduler.final_alpha_cumprod)
        b_t = 1 - a_t
        mo, xt = R["traj_eps"][i], R["traj_latents"][i]
        if pt == "epsilon":
            x0, eps = (xt - b_t ** 0.5 * mo) / a_t ** 0.5, mo
        else:
            x0, eps = a_t ** 0.5 * xt - b_t ** 0.5 * mo, a_t ** 0.5 * mo + b_t ** 0.5 * xt
        std = T["eta"] * ((1 - a_p) / (1 - a_t) * (1 - a_t / a_p)) ** 0.5
        xp = a_p ** 0.5 * x0 + (1 - a_p - std ** 2) ** 0.5 * eps + std * R["traj_noise"][i]
        worst32 = max(worst32, (xp - R["traj_latents"][i + 1]).abs().max().item())
    assert worst32 < 1e-6, worst32
    # (c) the float64 reference mean + sigma * noise lands on the stored latents
    t_b = timesteps.repeat_interleave(shape[0]).reshape(n, shape[0])
    lps, worst64 = [], 0.0
    for i in range(n):
        lp, mu, sigma = ddim_logprob_f64(R["traj_latents"][i], R["traj_eps"][i], t_b[i],
                                         R["traj_latents"][i + 1], T["eta"], n, pt)
        z = R["traj_noise"][i].to(torch.float64)
        worst64 = max(worst64, (mu + sigma.reshape(-1, 1, 1, 1) * z - R["traj_latents"][i + 1]).abs().max().item())
        expect = (-(z ** 2) / 2).mean(dim=(1, 2, 3)) - sigma.log() - math.log(math.sqrt(2 * math.pi))
        assert torch.allclose(lp, expect, atol=1e-3), (i, lp, expect)
        lps.append(lp)
    assert worst64 < 1e-4, worst64
    R["traj_log_probs"] = torch.stack(lps)
    # decoded image: the same run again with output_type="pil" gives the PNGs diffusers writes
    images_pil, _, _, _ = trajectory(pipe, "pil")
    for i, im in enumerate(images_pil):
        arr = np.asarray(im)
        expect = (images_pt[i].permute(1, 2, 0).numpy() * 255).round().astype("uint8")
        assert np.array_equal(arr, expect)
        im.save(os.path.join(folder, f"sample_{i}.png"))
    return R, {"ddim_f32_max_err": worst32, "ddim_f64_max_err": worst64}


@torch.no_grad()
def logprob_references(sched_by_pred):
    L = P["logprob"]
    n = L["num_inference_steps"]
    ts = torch.tensor(L["timesteps"], dtype=torch.int64)
    base = P["seeds"]["logprob"]
    x_t = seeded_randn(base, 3, 4, 8, 8)
    R = {}
    model_output_seed = {"epsilon": base + 1, "v_prediction": base + 2, "sample": base + 3}
    for ci, (case, spec) in enumerate(sorted(L["cases"].items())):
        mo = seeded_randn(model_output_seed[spec["prediction_type"]], 3, 4, 8, 8)
        z = seeded_randn(base + 10 + ci, 3, 4, 8, 8)
        sched = sched_by_pred[spec["prediction_type"]]
        sched.set_timesteps(n)
        assert all(t in sched.timesteps.tolist() for t in L["timesteps"])
        x_prev = torch.cat([sched.step(mo[b:b + 1], int(ts[b]), x_t[b:b + 1], eta=spec["eta"],
                                       variance_noise=z[b:b + 1]).prev_sample for b in range(3)])
        lp, mu, sigma = ddim_logprob_f64(x_t, mo, ts, x_prev, spec["eta"], n, spec["prediction_type"])
        expect = (-(z.double() ** 2) / 2).mean(dim=(1, 2, 3)) - sigma.log() - math.log(math.sqrt(2 * math.pi))
        assert torch.allclose(lp, expect, atol=1e-3), (case, lp, expect)
        R.update({f"{case}_x_t": x_t, f"{case}_model_output": mo, f"{case}_timesteps": ts,
                  f"{case}_x_prev": x_prev, f"{case}_out": lp, f"{case}_mu": mu, f"{case}_std": sigma})
    R["logprob_eps"] = R["logprob_model_output"]
    return R


def compare_dicts(a, b, what):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{what}: {k} differs after reload"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# =====================================================================================================
# main
# =====================================================================================================

def main():
    meta = {"generator": GENERATOR, "torch": torch.__version__, "diffusers": diffusers.__version__,
            "transformers": transformers.__version__}
    os.makedirs(FIXTURES, exist_ok=True)
    for flavour in ("sd1", "sd2"):
        shutil.rmtree(os.path.join(FIXTURES, f"tiny-{flavour}"), ignore_errors=True)

    # --- vocabulary ---
    merges, n_words, n_tokens, last_count = train_bpe(training_corpus(), P["num_bpe_merges"])
    vocab = clip_vocab(merges)
    vocab_dir = os.path.join(FIXTURES, ".tmp-vocab")
    write_vocab_files(vocab_dir, vocab, merges)
    tok1 = CLIPTokenizer(os.path.join(vocab_dir, "vocab.json"), os.path.join(vocab_dir, "merges.txt"),
                         model_max_length=P["model_max_length"])
    tok2 = CLIPTokenizer(os.path.join(vocab_dir, "vocab.json"), os.path.join(vocab_dir, "merges.txt"),
                         model_max_length=P["model_max_length"], pad_token="!")
    shutil.rmtree(vocab_dir)
    assert len(tok1) == len(vocab) and tok1.pad_token_id == tok1.eos_token_id == len(vocab) - 1
    assert tok1.bos_token_id == len(vocab) - 2 and tok2.pad_token_id == vocab["!"] == 0
    print(f"vocab: {len(vocab)} entries ({len(merges)} merges; corpus {n_words} distinct words, "
          f"{n_tokens} words; last merge count {last_count})")
    for s in ["a red circle", "two green squares on a blue background", "a zebra ☃ don't"]:
        print("   ", repr(s), "->", tok1.convert_ids_to_tokens(tok1(s).input_ids))
    assert tok1.convert_ids_to_tokens(tok1("a red circle").input_ids)[1:3] == ["a</w>", "red</w>"]
    snowman = tok1("☃").input_ids[1:-1]  # not in the corpus: falls to its 3 UTF-8 byte symbols
    assert len(snowman) == 3 and all(i < 512 for i in snowman) and snowman[-1] >= 256

    # --- pipelines ---
    pipes, folders = {}, {}
    for flavour, tok in (("sd1", tok1), ("sd2", tok2)):
        pipes[flavour] = build_pipeline(flavour, tok)
        folders[flavour] = save_pipeline(pipes[flavour], flavour, vocab, merges)

    # --- tokenizer cases (from the SAVED tokenizers, loaded both ways) ---
    texts = tokenizer_case_texts()
    specials = {"<|startoftext|>": vocab["<|startoftext|>"], "<|endoftext|>": vocab["<|endoftext|>"]}
    case_lists = {}
    for flavour in ("sd1", "sd2"):
        tdir = os.path.join(folders[flavour], "tokenizer")
        t_full = CLIPTokenizer.from_pretrained(tdir)
        pad = "!" if flavour == "sd2" else "<|endoftext|>"
        t_files = CLIPTokenizer(os.path.join(tdir, "vocab.json"), os.path.join(tdir, "merges.txt"),
                                model_max_length=P["model_max_length"], pad_token=pad)
        assert t_full.model_max_length == P["model_max_length"] and t_full.pad_token == pad
        sel = texts if flavour == "sd1" else list(dict.fromkeys([s for s in texts if "!" in s] + texts[:20]))
        cases = tokenizer_cases(t_full, sel)
        assert cases == tokenizer_cases(t_files, sel) == tokenizer_cases(tok1 if flavour == "sd1" else tok2, sel)
        ref = ReferenceBPE(vocab, merges, dict(specials, **({"!": 0} if flavour == "sd2" else {})))
        bad = [c["text"] for c in cases if ref.encode(c["text"]) != c["ids"]]
        assert not bad, f"pure-Python reference BPE disagrees with transformers on: {bad!r}"
        case_lists["cases" if flavour == "sd1" else "cases_sd2"] = cases
    assert len(case_lists["cases"]) >= 220
    write_cases_json(os.path.join(FIXTURES, "tokenizer_cases.json"),
                     {"generator": GENERATOR, "transformers": transformers.__version__,
                      "tokenizer": "tiny-sd1/tokenizer (cases); tiny-sd2/tokenizer (cases_sd2, pad token '!')",
                      "max_length": P["model_max_length"], "vocab_size": len(vocab),
                      "bos_id": tok1.bos_token_id, "eos_id": tok1.eos_token_id, "pad_id": tok1.pad_token_id,
                      "pad_id_sd2": tok2.pad_token_id},
                     case_lists)

    # --- reload from disk and check the files reproduce the in-memory models ---
    for flavour in ("sd1", "sd2"):
        mem = model_references(pipes[flavour])
        disk_pipe = StableDiffusionPipeline.from_pretrained(folders[flavour], safety_checker=None,
                                                            requires_safety_checker=False)
        disk_pipe.set_progress_bar_config(disable=True)
        assert isinstance(disk_pipe.scheduler, DDIMScheduler)
        assert type(disk_pipe.tokenizer).__name__ == "CLIPTokenizer"
        R = model_references(disk_pipe)
        compare_dicts(mem, R, flavour)  # sd2: the legacy VAE attention names load to the same outputs
        if flavour == "sd1":
            u16 = UNet2DConditionModel.from_pretrained(os.path.join(folders[flavour], "unet"), variant="fp16",
                                                       torch_dtype=torch.float16)
            for (k, a), (k2, b) in zip(disk_pipe.unet.state_dict().items(), u16.state_dict().items()):
                assert k == k2 and b.dtype == torch.float16 and torch.equal(a.half(), b), k
        if flavour == "sd2":
            vsd = load_file(os.path.join(folders[flavour], "vae", "diffusion_pytorch_model.safetensors"))
            assert "decoder.mid_block.attentions.0.query.weight" in vsd and not any(".to_q." in k for k in vsd)
        TR, st = trajectory_references(disk_pipe, flavour, folders[flavour])
        R.update(TR)
        if flavour == "sd1":
            by_pred = {p: DDIMScheduler.from_config(disk_pipe.scheduler.config, prediction_type=p)
                       for p in ("epsilon", "v_prediction", "sample")}
            R.update(logprob_references(by_pred))
        R = {k: v.detach().clone().contiguous() for k, v in R.items()}  # no shared storage
        path = os.path.join(folders[flavour], "reference.safetensors")
        save_tensors(path, R, meta)
        print(f"{os.path.relpath(path, ROOT)}: {len(R)} tensors, {os.path.getsize(path)} bytes; "
              f"timesteps {R['traj_timesteps'].tolist()}; {st}")
        for k in sorted(R):
            print(f"    {k:28s} {str(R[k].dtype).replace('torch.', ''):8s} {list(R[k].shape)}")
        print(f"    traj_log_probs = {R['traj_log_probs'].tolist()}")

    print(f"max |alphas_cumprod f64 - diffusers f32| = "
          f"{(AC64 - pipes['sd1'].scheduler.alphas_cumprod.double()).abs().max().item():.3e}")
    total, paths = 0, [os.path.join(FIXTURES, "tokenizer_cases.json")]
    for flavour in ("sd1", "sd2"):
        for dirpath, _, files in sorted(os.walk(folders[flavour])):
            paths += [os.path.join(dirpath, fn) for fn in sorted(files)]
    for p in paths:
        total += os.path.getsize(p)
        print(f"  {os.path.getsize(p):9d}  {sha256(p)[:16]}  {os.path.relpath(p, ROOT)}")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
