# The two commands of the README: `make demo` and `make test`. Both run the idempotent set-up first.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
# OpenVINO's and librdkafka's pkg-config files, written by scripts/openvino.sh and scripts/librdkafka.sh (both
# libraries come from PyPI wheels, not Debian). RDKAFKA=system builds against the system's librdkafka instead.
RDKAFKA_PKG_CONFIG := $(if $(filter system,$(RDKAFKA)),,$(CURDIR)/runtime/librdkafka/lib/pkgconfig:)
export RDKAFKA
export PKG_CONFIG_PATH := $(RDKAFKA_PKG_CONFIG)$(CURDIR)/runtime/openvino/lib/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))

.PHONY: setup build release test test-faults demo bench fidelity soak archive-soak clean

setup:
	scripts/setup.sh

build: setup
	swift build

release: setup
	swift build -c release

# Unit and end-to-end tests (real files, real processes, a real broker and servers on 127.0.0.1).
test: setup
	scripts/test.sh

# Only the fault tests (they are part of `make test` too): broker killed and restarted, RTSP and HTTP sources killed
# and restarted, SIGTERM under load, 38 invalid configs, 10,000 malformed messages, a stalled WebSocket client,
# HTML in stream ids and class names. Each prints what it tried and what held.
test-faults: setup
	FILTER='brokerOutage|sigtermUnderLoad|missingTopic|badProperty|rtspReconnect|httpReconnect|badSourcesDoNotDisturbOthers|invalidConfiguration|validateCommand|unknownClass|badModel|stalledClient|browserSeesTheDashboard|survivesMalformedMessages' scripts/test.sh

# The 32-stream sample with its status line; Ctrl-C stops it.
demo: release
	scripts/demo.sh

# Throughput figures (not a test): decode rate beside the ffmpeg CLI, CPU use of the 32-stream sample.
bench: release
	scripts/bench.sh

# Live fidelity alone (part of `make bench`): the 32-stream sample scored against a full-rate reference of the clip;
# CONFIG=FILE and FIDELITY_SECONDS=N change what runs.
fidelity: release
	scripts/fidelity.sh $(or $(CONFIG),config/sample-pipeline.yaml) $(or $(FIDELITY_SECONDS),75)

# The demo for MINUTES (default 10) on BROKER (noida or tansu, default noida): RSS, latency, drop rate and the
# broker's CPU and RSS over time, first vs last window, and what the topics keep across a broker restart.
soak: release
	scripts/soak.sh $(or $(MINUTES),10) $(or $(BROKER),noida)

# The archive for MINUTES (default 20) beside the sample: its RSS, and its catch-up rate after a 10-minute outage
# (PostgreSQL) and over the whole topic (SQLite), against the live rate (scripts/archive-soak.py).
archive-soak: release
	python3 scripts/archive-soak.py --minutes $(or $(MINUTES),20)

clean:
	rm -rf .build var
