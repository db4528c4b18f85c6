# The two commands of the README: `make demo` and `make test`. Both run the idempotent set-up first.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
# OpenVINO's pkg-config file, written by scripts/openvino.sh (the library comes from its PyPI wheel, not Debian).
export PKG_CONFIG_PATH := $(CURDIR)/runtime/openvino/lib/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))

.PHONY: setup build release test demo bench clean

setup:
	scripts/setup.sh

build: setup
	swift build

release: setup
	swift build -c release

# Unit and end-to-end tests (real files, real processes, a real broker and servers on 127.0.0.1).
test: setup
	scripts/test.sh

# The 32-stream sample with its status line; Ctrl-C stops it.
demo: release
	scripts/demo.sh

# Throughput figures (not a test): decode rate beside the ffmpeg CLI, CPU use of the 32-stream sample.
bench: release
	scripts/bench.sh

clean:
	rm -rf .build var
