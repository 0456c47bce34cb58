"""Measures the VLM modes on the tiny world (the numbers in docs/reward-server.md):
how fast each mode scores on this machine, and how its reward separates an
image's own caption from captions that differ in 1, 2, 3 or 4 of the world's
attributes (kind, colour, count, background).

    scripts/tests/.venv/bin/python scripts/tests/measure_vlm.py [--threads N]

The captioner is the shapes captioner on scenes drawn by the Python port of
ShapeRasterizer in test_vlm_reward.py; llava_bertscore is measured with the
same captioner and MiniLM as BERTScore's model (the paper's DeBERTa is 750M
parameters and not installed here), so its numbers show the scoring path, not
the paper's reward values.
"""

import argparse
import itertools
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import torch  # noqa: E402

import shapes_captioner  # noqa: E402
import test_vlm_reward as t  # noqa: E402
import vlm_reward  # noqa: E402

KINDS = ["circle", "square", "triangle", "star"]
COLOURS = list(shapes_captioner.SHAPE_COLOURS)
BACKGROUNDS = list(shapes_captioner.BACKGROUNDS)


def timed(function, repeats=3):
    """(result, median seconds) of `repeats` calls after one warm-up."""
    result = function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    # A spread of distinct scenes: a stride through the world's 288 descriptions
    # (37 is coprime to 288, so no two coincide).
    world = list(itertools.product(KINDS, COLOURS, [1, 2, 3], BACKGROUNDS))
    scenes = [world[(37 * i) % len(world)] for i in range(args.batch)]
    images = [t.png(t.scene_image(*scene)) for scene in scenes]
    captions = [shapes_captioner.caption_of(*scene) for scene in scenes]
    print(f"{len(scenes)} scenes, {len(set(captions))} distinct captions; torch threads {args.threads}")

    pil = vlm_reward.decode_images(images)
    answers, caption_s = timed(lambda: shapes_captioner.caption(pil, vlm_reward.QUESTION), repeats=5)
    correct = sum(a == c for a, c in zip(answers, captions))
    print(f"shapes captioner: {correct}/{len(scenes)} exact; {1000 * caption_s / len(scenes):.1f} ms/image")

    # The text models alone (answers given), then each mode whole (PNG bytes in,
    # rewards out): medians of 5, since the machine is shared.
    encoder = vlm_reward.TextEncoder(t.MINILM, "cpu", allow_download=False)
    references = [f"The image contains {c}" for c in captions]
    _, embed_s = timed(lambda: encoder.sentence_embeddings(answers + captions), repeats=5)
    _, bert_s = timed(lambda: vlm_reward.bertscore(encoder, answers, references, layer=6), repeats=5)
    similarity = vlm_reward.text_similarity(t.server_args("--mode", "text_similarity", "--captioner", "shapes",
                                                          "--device", "cpu"))
    _, similarity_s = timed(lambda: similarity(images, captions, [{}] * len(images)), repeats=5)
    bertscore = vlm_reward.llava_bertscore(t.server_args("--mode", "llava_bertscore", "--captioner", "shapes",
                                                         "--bertscore-model", t.MINILM, "--device", "cpu"))
    _, bertscore_s = timed(lambda: bertscore(images, captions, [{}] * len(images)), repeats=5)
    n = len(scenes)
    print(f"MiniLM sentence embeddings (answer + prompt): {1000 * embed_s / n:.1f} ms/image")
    print(f"BERTScore on MiniLM (answer vs reference): {1000 * bert_s / n:.1f} ms/image")
    print(f"text_similarity mode whole (decode + captioner + MiniLM): {1000 * similarity_s / n:.1f} ms/image")
    print(f"llava_bertscore mode whole with the shapes captioner: {1000 * bertscore_s / n:.1f} ms/image")

    # Every scene against captions differing in d attributes: one random-free sweep
    # over the world's whole caption list, grouped by d.
    embeddings = dict(zip([shapes_captioner.caption_of(*d) for d in world],
                          encoder.sentence_embeddings([shapes_captioner.caption_of(*d) for d in world])))
    groups = {"similarity": {d: [] for d in range(5)}, "bertscore recall": {d: [] for d in range(5)}}
    pairs = []
    for scene in scenes[:8]:
        for other in world:
            d = sum(a != b for a, b in zip(scene, other))
            answer, prompt = shapes_captioner.caption_of(*scene), shapes_captioner.caption_of(*other)
            groups["similarity"][d].append(float(embeddings[answer] @ embeddings[prompt]))
            pairs.append((d, answer, prompt))
    _, recall, _ = vlm_reward.bertscore(encoder, [a for _, a, _ in pairs],
                                        [f"The image contains {p}" for _, _, p in pairs], layer=6)
    for (d, _, _), r in zip(pairs, recall):
        groups["bertscore recall"][d].append(r)
    print("\nreward of an image's answer against captions differing in d attributes "
          "(8 scenes x all 288 captions): mean [min, max]")
    print("| d | pairs | text_similarity | BERTScore recall (MiniLM, vs \"The image contains ...\") |")
    print("|---|---|---|---|")
    for d in range(5):
        s, r = groups["similarity"][d], groups["bertscore recall"][d]
        print(f"| {d} | {len(s)} | {statistics.mean(s):.3f} [{min(s):.3f}, {max(s):.3f}] | "
              f"{statistics.mean(r):.3f} [{min(r):.3f}, {max(r):.3f}] |")


if __name__ == "__main__":
    main()
