# swift-ddpo — every target installs what it needs on a fresh machine.
#   make demo    the main job on the bundled model (release build)
#   make test    set-up (libtorch, Debian packages) + build + all tests
#   make bench   micro-benchmarks, printed as medians
#   make setup   only the set-up (LIBTORCH=/path/to/torch uses an existing install)
SWIFT ?= swift

.PHONY: all setup build test demo bench fixtures clean

all: build

setup:
	@scripts/setup-libtorch

build: setup
	$(SWIFT) build

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Until the bundled tiny model lands, the demo trains the tiny random test pipeline
# (Tests/Fixtures/tiny-sd1) on JPEG compressibility: it shows the whole loop, not pictures.
demo: setup
	$(SWIFT) build -c release --product ddpo
	.build/release/ddpo train --config configs/tiny-compressibility.yaml

bench: setup
	$(SWIFT) build -c release --product ddpo-bench
	$(SWIFT) run -c release --skip-build ddpo-bench

# Regenerates the golden test fixtures with PyTorch (needs PyPI; never run by CI).
fixtures:
	scripts/golden/make-venv
	scripts/golden/.venv/bin/python scripts/golden/torch_ops.py
	scripts/golden/.venv/bin/python scripts/golden/images.py
	scripts/golden/.venv/bin/python scripts/golden/sd_pipelines.py
	scripts/golden/.venv/bin/python scripts/golden/aesthetic.py

clean:
	rm -rf .build
