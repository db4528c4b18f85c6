#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine (run as root, or with sudo available):
# the Debian packages the build, demo and tests need, Python packages, OpenVINO and the model, then the sample media.
# Safe to run again: it only installs what is missing and only makes media that is not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build: FFmpeg, librdkafka and libjpeg-turbo C APIs, and pkg-config
  pkg-config libavformat-dev libavcodec-dev libavutil-dev libswscale-dev librdkafka-dev libturbojpeg0-dev
  # the archive's databases: SQLite and PostgreSQL client libraries (the build), PostgreSQL's server and the sqlite3
  # and psql clients (the tests check the archive with them)
  libsqlite3-dev libpq-dev sqlite3 postgresql
  # alerts: the MQTT client library (the build), and Eclipse Mosquitto's broker and clients (the tests publish to it
  # and check with mosquitto_sub)
  libmosquitto-dev mosquitto mosquitto-clients
  # tests: an independent Kafka consumer and a real browser for the dashboard
  kcat chromium chromium-driver
  # sample media and test sources: the ffmpeg CLI, an RTSP server (GStreamer through python3-gi)
  ffmpeg python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  # general tools the scripts use
  procps curl
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  echo "setup: note: swift is at /opt/swift/usr/bin; the Makefile adds it to PATH"
fi

# Python packages the tests use to check output independently (JSON Schema validation, browser automation).
python3 -c "import jsonschema" 2>/dev/null || python3 -m pip install --quiet "jsonschema>=4,<5"
python3 -c "import selenium" 2>/dev/null || python3 -m pip install --quiet "selenium>=4,<5"
# PyYAML: the benchmark scripts read the config they run (scripts/fidelity.sh).
python3 -c "import yaml" 2>/dev/null || python3 -m pip install --quiet "pyyaml>=6,<7"
# py-motmetrics, the reference the tracking metrics are checked against (its TUD sequences are read in place).
python3 -c "import motmetrics" 2>/dev/null || python3 -m pip install --quiet "motmetrics==1.4.0"
# OpenCV's DNN module, the independent reference the model converter and the detector are checked against
# (4.10.0.84: built for numpy 2, and it sets no upper bound on numpy).
python3 -c "import cv2" 2>/dev/null || python3 -m pip install --quiet "opencv-python-headless==4.10.0.84"
# Roboflow's ByteTrack (PyPI `trackers`), the reference our tracker is compared with on the same detections. Its
# package asks for the GUI build of OpenCV; the headless one installed for the detector reference serves it, so
# it is installed without dependencies plus the ones its ByteTrack imports.
if ! python3 -c "import trackers" 2>/dev/null; then
  python3 -m pip install --quiet "supervision==0.31.2" "rich>=13" "pydeprecate>=0.9,<0.14" "requests>=2.28" "scipy>=1.13"
  python3 -m pip install --quiet --no-deps "trackers==2.6.1"
fi

# librdkafka 2.16 from the confluent-kafka wheel (Debian's 2.0.2 is too old for current brokers), then both brokers.
scripts/librdkafka.sh install
scripts/broker.sh install
# The same wheel's Python client, for the demo's and the soak's topic chores (scripts/kafka-topics.py).
python3 -c "import confluent_kafka" 2>/dev/null || python3 -m pip install --quiet "confluent-kafka==2.16.2"
# OpenVINO's C API for the detector (and its Python API for the converter), then the yolov4-tiny model as IR.
scripts/openvino.sh install
scripts/model.sh install
scripts/sample-media.sh
