# The two commands of the README: `make demo` and `make test`. Both run the idempotent set-up first.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

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
