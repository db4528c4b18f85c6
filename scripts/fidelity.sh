#!/usr/bin/env bash
# Live fidelity (a benchmark, not a test): what the 32-stream sample publishes, scored against a full-rate analysis
# of the same clip.
#
#   scripts/fidelity.sh [CONFIG] [SECONDS]     (make fidelity; part of make bench)
#
#  1. the reference (once, cached in var/fidelity/): vtest.avi analysed offline on every frame by an independent
#     detector (OpenCV DNN on the darknet weights, f32, 416, persons) and tracked at the full 10 fps by Roboflow's
#     ByteTrack (scripts/fidelity-reference.py);
#  2. the raw detector's frames/s with one worker per core, the default-precision model (what the pipeline's
#     detections/s is compared with), measured now, side by side;
#  3. the pipeline on CONFIG (default config/sample-pipeline.yaml: 32 streams, Kafka with previews, JSON lines) for
#     SECONDS (default 75) against a fresh local broker, with its /metrics scraped for latency and RSS and its CPU use;
#  4. every vtest-* stream scored at the frames it published (clip frame = frame_id mod 795; IoU 0.5; MOTA, IDF1,
#     switches; the first 10 s left out) by `realtime-analytics-bench fidelity`.
# Prints one summary line and writes var/fidelity/result.json.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-config/sample-pipeline.yaml}
seconds=${2:-75}
bench=.build/release/realtime-analytics-bench
pipeline=.build/release/realtime-analytics
[ -x "$bench" ] && [ -x "$pipeline" ] || { echo "fidelity: build first with 'make release'" >&2; exit 1; }
[ "$seconds" -ge 30 ] || { echo "fidelity: run at least 30 s (10 s are left out as start-up)" >&2; exit 2; }
mkdir -p var/fidelity
reference=var/fidelity/vtest-gt.txt

if [ ! -s "$reference" ] || [ "$reference" -ot scripts/fidelity-reference.py ]; then
  echo "fidelity: making the full-rate reference of samples/vtest.avi (about a minute, once)"
  python3 scripts/fidelity-reference.py --video samples/vtest.avi --output-gt "$reference" \
    --output-det var/fidelity/vtest-det.txt >/dev/null
fi

workers=$(nproc)
raw=$("$bench" detector --workers "$workers" --seconds 15 2>/dev/null)
raw_fps=$(echo "$raw" | awk '{ print $3 }')
echo "raw detector (models/yolov4-tiny/yolov4-tiny.xml, default precision), $raw"

# The broker port and the JSON-lines path are the config's; a fresh broker keeps its CPU use flat.
port=$(python3 -c 'import sys, yaml; c = yaml.safe_load(open(sys.argv[1])); print(c["kafka"]["bootstrap_servers"].split(",")[0].rsplit(":", 1)[1])' "$config")
output=$(python3 -c 'import os, sys, yaml; c = yaml.safe_load(open(sys.argv[1])); print(os.path.normpath(os.path.join(os.path.dirname(sys.argv[1]), c["output"]["jsonl"]["path"])))' "$config")
# The test broker shares this machine's cores with the pipeline; niced, it takes what the pipeline leaves (a
# production broker runs elsewhere). Delivery latency is measured all the same.
nice -n 10 scripts/broker.sh start "$port" >/dev/null
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  scripts/broker.sh stop "$port"
}
trap cleanup EXIT
rm -f "$output"
"$pipeline" --config "$config" 2>var/fidelity/pipeline.log &
pid=$!
sleep 10
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
t0=$(ticks "$pid"); s0=$(date +%s.%N)
python3 scripts/soak.py --minutes "$(awk -v s="$seconds" 'BEGIN { print (s - 12) / 60 }')" \
  --interval "$((seconds - 12))" --json var/fidelity/latency.json >/dev/null
t1=$(ticks "$pid"); s1=$(date +%s.%N)
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
kill -TERM "$pid"; wait "$pid" || true
pid=""
cores=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v s="$s0" -v e="$s1" 'BEGIN { printf "%.2f", (b - a) / hz / (e - s) }')

"$bench" fidelity --reference "$reference" --published "$output" --skip-seconds 10 \
  --json var/fidelity/score.json
python3 - "$raw_fps" "$cores" "$rss" "$config" <<'PY'
import json, sys
raw, cores, rss_kb, config = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
score = json.load(open("var/fidelity/score.json"))
latency = json.load(open("var/fidelity/latency.json"))[-1]
result = dict(score, config=config, raw_detector_fps=raw, ratio_to_raw_detector=score["detections_per_s"] / raw,
              cores=cores, rss_mb=rss_kb / 1024, publish_p50_s=latency["p50"], publish_p99_s=latency["p99"],
              delivery_p50_s=latency["delivery_p50"], delivery_p99_s=latency["delivery_p99"])
json.dump(result, open("var/fidelity/result.json", "w"), indent=1, sort_keys=True)
print(f"live fidelity ({config}): {result['detections_per_s']:.1f} detections/s = {result['ratio_to_raw_detector']:.2f}x "
      f"the raw default-precision detector ({raw:.1f} frames/s), {result['looks_per_camera_per_s']:.2f} looks per camera "
      f"per s; recall {result['recall']:.3f}, precision {result['precision']:.3f}, MOTA {result['mota']:.3f}, "
      f"IDF1 {result['idf1']:.3f}, {result['switches_per_100_objects']:.1f} switches per 100 reference objects; "
      f"capture to Kafka acknowledgement p50 <= {result['delivery_p50_s']} s, p99 <= {result['delivery_p99_s']} s "
      f"(bucket bounds); {cores:.2f} cores, RSS {result['rss_mb']:.0f} MB")
PY
