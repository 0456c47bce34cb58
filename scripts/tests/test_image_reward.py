"""Tests of reward_server.py's image_reward mode (vlm_reward.ImageRewardScorer).

Needs the venv of scripts/tests/make-venv (torch, transformers, torchvision, timm,
fairscale, image-reward); run with `make test-vlm`, or

    scripts/tests/.venv/bin/python -m unittest discover -s scripts/tests -v

ImageReward-v1.0's weights (1.7 GB) are not here and nothing is downloaded, so the
tests build a tiny random ImageReward with the package's own constructor
(ImageReward.ImageReward(med_config), which builds BLIP_Pretrain): the only changes
are its sizes, since the constructor hard-codes a ViT-L vision encoder (300M
parameters) and a 768-wide reward head. The test swaps in, for the duration of the
construction, a 2-block ViT of width 32 at 224 px (create_vit), a head sized for the
32-wide text encoder (MLP) and a tokenizer read from a 300-token vocab.txt
(init_tokenizer, which otherwise downloads bert-base-uncased); the BERT sizes come
from the med_config.json it writes. Its state dict, saved as ImageReward.pt, is what
the server loads; the rewards it serves must equal the package's own
ImageReward.score(prompt, image) and inference_rank on that model.
"""

import collections
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
sys.path.insert(0, SCRIPTS)
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

import vlm_reward  # noqa: E402
from server_process import post_pngs, start_reward_server  # noqa: E402

TEXT_WIDTH = 32
VIT = {"img_size": 224, "patch_size": 16, "embed_dim": 32, "depth": 2, "num_heads": 4}
WORDS = ("a an the of on in with and at two three red blue green yellow orange purple black white gray light "
         "circle circles square squares triangle star stars background photo cat dog sitting sofa bike riding "
         "image picture painting of small large big tiny sky sea tree house car street city night day sun "
         "moon mountain river flower flowers field woman man child portrait detailed beautiful dark bright").split()
PROMPTS = ["two red circles on a white background",
           "a photo of a cat riding a bike " + "with a very detailed background " * 8,  # > 35 tokens: truncated
           "a yellow star on a black background"]


def write_tokenizer(folder):
    """A BERT WordPiece vocabulary of about 300 tokens: the special tokens, some words,
    and every letter alone and as a continuation (so any lower-case word has pieces)."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(WORDS) + letters
    vocab += ["##" + letter for letter in letters] + [str(d) for d in range(10)] + list(".,!?'-")
    vocab = list(dict.fromkeys(vocab + [f"##{word}" for word in ("ing", "ed", "er", "est", "ly")]))
    vocab += [f"[unused{i}]" for i in range(300 - len(vocab))]
    os.makedirs(folder)
    with open(os.path.join(folder, "vocab.txt"), "w") as file:
        file.write("\n".join(vocab) + "\n")
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as file:
        json.dump({"do_lower_case": True, "model_max_length": 512}, file)


def reference_tokenizer(folder):
    """The test's own BLIP tokenizer (init_tokenizer's steps) for the reference model."""
    tokenizer = transformers.BertTokenizer.from_pretrained(folder, local_files_only=True)
    tokenizer.add_special_tokens({"bos_token": "[DEC]"})
    tokenizer.add_special_tokens({"additional_special_tokens": ["[ENC]"]})
    return tokenizer


def make_tiny_image_reward(folder):
    """Writes ImageReward.pt, med_config.json, vit_config.json and bert-base-uncased/
    into `folder`; returns the package's ImageReward model they describe (eval mode)."""
    tokenizer_folder = os.path.join(folder, vlm_reward.IMAGE_REWARD_TOKENIZER)
    write_tokenizer(tokenizer_folder)
    vocab_size = len(reference_tokenizer(tokenizer_folder))
    med_config = {"architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu",
                  "hidden_dropout_prob": 0.1, "hidden_size": TEXT_WIDTH, "initializer_range": 0.02,
                  "intermediate_size": 37, "layer_norm_eps": 1e-12, "max_position_embeddings": 64,
                  "model_type": "bert", "num_attention_heads": 4, "num_hidden_layers": 2, "pad_token_id": 0,
                  "type_vocab_size": 2, "vocab_size": vocab_size, "encoder_width": VIT["embed_dim"],
                  "add_cross_attention": True}
    med_path = os.path.join(folder, vlm_reward.IMAGE_REWARD_MED_CONFIG)
    with open(med_path, "w") as file:
        json.dump(med_config, file, indent=1)
    with open(os.path.join(folder, vlm_reward.IMAGE_REWARD_VIT_CONFIG), "w") as file:
        json.dump(VIT, file)

    package = vlm_reward.import_image_reward()
    from ImageReward.models.BLIP import blip_pretrain
    original_mlp = package.ImageReward.MLP

    def tiny_vit(vit, image_size, *args, **kwargs):
        return package.vit.VisionTransformer(**VIT), VIT["embed_dim"]

    torch.manual_seed(0)
    with mock.patch.object(blip_pretrain, "create_vit", tiny_vit), \
            mock.patch.object(blip_pretrain, "init_tokenizer", lambda: reference_tokenizer(tokenizer_folder)), \
            mock.patch.object(package.ImageReward, "MLP", lambda input_size: original_mlp(TEXT_WIDTH)):
        model = package.ImageReward.ImageReward(med_config=med_path, device="cpu")
    # Random initialisation leaves the text encoder's cross-attention (std 0.02) and the
    # head (zero biases) too quiet for rewards that tell images apart: add noise everywhere.
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.08)
    torch.save(model.state_dict(), os.path.join(folder, vlm_reward.IMAGE_REWARD_CHECKPOINT))
    return model.eval()


def circle_image():
    image = Image.new("RGB", (64, 64), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 10, 30, 32), fill=(220, 30, 30))
    draw.ellipse((34, 34, 58, 58), fill=(220, 30, 30))
    return image


def noise_image():
    """Not square, so the center crop matters."""
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8))


def png(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class ImageRewardTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.temporary = tempfile.TemporaryDirectory()
        cls.folder = os.path.join(cls.temporary.name, "image-reward")
        os.makedirs(cls.folder)
        cls.reference = make_tiny_image_reward(cls.folder)
        cls.images = [circle_image(), noise_image()]

    @classmethod
    def tearDownClass(cls):
        cls.temporary.cleanup()

    def reference_score(self, prompt, image):
        with torch.no_grad():
            return self.reference.score(prompt, image)

    # The server process ----------------------------------------------------------

    def start(self, *argv):
        return start_reward_server(self, *argv)

    def post(self, url, images, prompts):
        return post_pngs(url, [png(i) for i in images], prompts)

    def run_to_exit(self, *argv):
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        result = subprocess.run([sys.executable, os.path.join(SCRIPTS, "reward_server.py"), "--port", "0", *argv],
                                capture_output=True, text=True, timeout=120, env=env)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        return result.stderr

    def test_server_rewards_equal_the_packages_score(self):
        url = self.start("--mode", "image_reward", "--image-reward", self.folder, "--device", "cpu")
        # Each image with its own prompt: ImageReward.score(prompt, image), one pair at a time.
        prompts = PROMPTS[:2]
        served = self.post(url, self.images, prompts)
        self.assertEqual(set(served), {"rewards"})
        expected = [self.reference_score(p, i) for p, i in zip(prompts, self.images)]
        for got, want in zip(served["rewards"], expected):
            self.assertAlmostEqual(got, want, delta=1e-5)
        # One prompt for the batch: inference_rank's rewards.
        served = self.post(url, self.images + [self.images[0]], [PROMPTS[2]] * 3)
        _, expected = self.reference.inference_rank(PROMPTS[2], self.images + [self.images[0]])
        for got, want in zip(served["rewards"], expected):
            self.assertAlmostEqual(got, want, delta=1e-5)
        # The comparison means something: the numbers differ by image and by prompt.
        self.assertGreater(abs(expected[0] - expected[1]), 1e-2)
        self.assertGreater(abs(self.reference_score(PROMPTS[0], self.images[0])
                               - self.reference_score(PROMPTS[2], self.images[0])), 1e-2)

    def test_missing_files_are_named(self):
        self.assertIn("--image-reward DIR is required", self.run_to_exit("--mode", "image_reward"))
        self.assertIn("--image-reward /nonexistent: no such folder",
                      self.run_to_exit("--mode", "image_reward", "--image-reward", "/nonexistent"))
        for name in (vlm_reward.IMAGE_REWARD_MED_CONFIG, vlm_reward.IMAGE_REWARD_CHECKPOINT,
                     vlm_reward.IMAGE_REWARD_TOKENIZER):
            with tempfile.TemporaryDirectory() as scratch:
                partial = os.path.join(scratch, "partial")
                shutil.copytree(self.folder, partial)
                path = os.path.join(partial, name)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
                message = self.run_to_exit("--mode", "image_reward", "--image-reward", partial)
                self.assertIn(f"missing {name}", message)

    # In process ---------------------------------------------------------------------

    def test_checkpoint_that_needs_unpickling_asks_for_trust_pickle(self):
        with tempfile.TemporaryDirectory() as scratch:
            folder = os.path.join(scratch, "pickled")
            shutil.copytree(self.folder, folder)
            path = os.path.join(folder, vlm_reward.IMAGE_REWARD_CHECKPOINT)
            # A mapping type weights_only does not allow.
            torch.save(collections.UserDict(self.reference.state_dict()), path)
            with mock.patch("sys.stderr", io.StringIO()), self.assertRaises(SystemExit) as refused:
                vlm_reward.ImageRewardScorer(folder, "cpu")
            self.assertIn("--trust-pickle", str(refused.exception))
            scorer = vlm_reward.ImageRewardScorer(folder, "cpu", trust_pickle=True)
            self.assertAlmostEqual(scorer([self.images[0]], [PROMPTS[0]])[0],
                                   self.reference_score(PROMPTS[0], self.images[0]), delta=1e-5)

    def test_wrong_checkpoint_is_refused(self):
        with tempfile.TemporaryDirectory() as scratch:
            folder = os.path.join(scratch, "wrong")
            shutil.copytree(self.folder, folder)
            state = {k: v for k, v in self.reference.state_dict().items() if not k.startswith("mlp.")}
            torch.save(state, os.path.join(folder, vlm_reward.IMAGE_REWARD_CHECKPOINT))
            with self.assertRaises(SystemExit) as refused:
                vlm_reward.ImageRewardScorer(folder, "cpu")
            self.assertIn("lacks 10 of the model's", str(refused.exception))
            self.assertIn("mlp.layers.0.weight", str(refused.exception))

    def test_bfloat16_is_close_to_float32(self):
        scorer = vlm_reward.ImageRewardScorer(self.folder, "cpu", dtype="bfloat16")
        rewards = scorer(self.images, PROMPTS[:2])
        for got, prompt, image in zip(rewards, PROMPTS, self.images):
            self.assertAlmostEqual(got, self.reference_score(prompt, image), delta=0.01)

    def test_restored_attention_mask_helper(self):
        package = vlm_reward.import_image_reward()
        encoder = self.reference.blip.text_encoder
        inverted = package.med.BertModel.invert_attention_mask(encoder, torch.tensor([[1, 1, 0]]))
        self.assertEqual(inverted.shape, (1, 1, 1, 3))
        self.assertEqual(inverted[0, 0, 0, :2].tolist(), [0.0, 0.0])
        self.assertLess(inverted[0, 0, 0, 2].item(), -1e30)


if __name__ == "__main__":
    unittest.main()
