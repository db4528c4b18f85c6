#!/usr/bin/env python3
"""The benchmark's ratios, side by side: reads what scripts/bench.sh printed (var/bench.log), prints a table and
writes it as JSON. Every figure in a row was measured in the same run, on the same machine and inputs."""
import json
import re
import sys


def find(pattern, text, group=1, cast=float):
    match = re.search(pattern, text, re.MULTILINE)
    return cast(match.group(group)) if match else None


def main():
    log_path, json_path = sys.argv[1], sys.argv[2]
    text = open(log_path).read()
    rows = []

    def row(name, ours, baseline, ratio=None, unit="", note=""):
        if ratio is None and ours is not None and baseline:
            ratio = ours / baseline
        rows.append({"measure": name, "ours": ours, "baseline": baseline, "ratio": ratio, "unit": unit, "note": note})

    raw = find(r"raw detector, (\d+) workers: ([\d.]+) frames/s", text, 2)
    pipeline = find(r"pipeline, 32 streams: ([\d.]+) detections/s", text)
    row("(a) detections/s: 32-stream pipeline / raw detector (N workers)", pipeline, raw, unit="frames/s",
        note="goal >= 0.90")
    for block in re.split(r"^-- ", text, flags=re.MULTILINE)[1:]:
        name = block.splitlines()[0].strip()
        if "parallel" in name:
            continue
        ours = find(r"realtime-analytics: .*\((\d+) per stream\)", block)
        ffmpeg = find(r"decode only\):\s+\d+ frames in [\d.]+ s = (\d+) frames/s", block)
        row(f"(b) decode frames/s / ffmpeg -threads 1 -f null: {name}", ours, ffmpeg, unit="frames/s",
            note="ours also runs the motion meter; frames are scaled only when analysed")
    for label in ["metadata only", "with previews"]:
        ours = find(rf"encode \+ produce \+ delivery, {label}: (\d+) msgs/s", text)
        rawk = find(rf"encode \+ produce \+ delivery, {label}:.*\n.*raw librdkafka producer, same \d+-byte payload: (\d+) msgs/s", text)
        row(f"(c) encode+produce+ack msgs/s / raw librdkafka, {label}", ours, rawk, unit="msgs/s")
    preview = find(r"preview render \+ JPEG q75 \+ base64, .*: (\d+) frames/s", text)
    jpeg = find(r"raw TurboJPEG encode of the same frame, q75: (\d+) frames/s", text)
    row("(d) preview frames/s / raw TurboJPEG encode", preview, jpeg, unit="frames/s",
        note="preview = scale + boxes + labels + JPEG + base64")
    tracker = find(r"^\s*20 objects: ([\d.]+) µs/frame", text)
    row("(e) tracker µs/frame at 20 objects", tracker, 20.0, unit="µs", note="baseline = the 20 µs goal")
    p50 = find(r"publish latency .*?p50 <= ([\d.]+) s", text)
    p99 = find(r"publish latency .*?p99 <= ([\d.]+) s", text)
    ack50 = find(r"acknowledgement: p50 <= ([\d.]+) s", text)
    ack99 = find(r"acknowledgement: .*?p99 <= ([\d.]+) s", text)
    rss = find(r"\(histogram bucket bounds\); RSS (\d+) MB", text)
    row("(f) capture to publish latency at 32 streams, p50 (s)", p50, None, note="upper bucket bound")
    row("(f) capture to publish latency at 32 streams, p99 (s)", p99, None, note="upper bucket bound")
    row("(f) capture to Kafka acknowledgement at 32 streams, p50 (s)", ack50, None, note="upper bucket bound")
    row("(f) capture to Kafka acknowledgement at 32 streams, p99 (s)", ack99, None, note="upper bucket bound")
    row("(f) pipeline RSS at 32 streams (MB)", rss, None)

    print("== ratios, measured side by side in this run ==")
    print(f"   {'measure':72} {'ours':>10} {'baseline':>10} {'ratio':>6}  note")
    for r in rows:
        def fmt(v):
            return "-" if v is None else (f"{v:.1f}" if isinstance(v, float) else str(v))
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"   {r['measure']:72} {fmt(r['ours']):>10} {fmt(r['baseline']):>10} {ratio:>6}  {r['note']}")
    with open(json_path, "w") as handle:
        json.dump(rows, handle, indent=1)
    print(f"   (written to {json_path})")


if __name__ == "__main__":
    main()
