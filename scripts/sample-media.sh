#!/usr/bin/env bash
# Makes the sample media in samples/ (git-ignored): vtest.avi from Debian's opencv-doc package (only that file is
# kept) and synthetic clips made with the ffmpeg CLI. Idempotent: existing files are kept.
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
echo "samples: ready in $(pwd)/samples"
