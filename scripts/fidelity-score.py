#!/usr/bin/env python3
"""Live-fidelity score (reference scorer, py-motmetrics 1.4.0): the tracks a live pipeline published, scored against
the full-rate reference of scripts/fidelity-reference.py at the frames each stream analysed.

    scripts/fidelity-score.py var/sample-output.jsonl [--reference var/fidelity/vtest-gt.txt] [--prefix vtest-]
        [--skip-seconds 10] [--clip-frames 795] [--json result.json]

Input: JSON lines, one pipeline message a line ({"stream", "frame_id", "timestamp_ms", "width", "height",
"tracks": [{"track_id", "class_id", "class_name", "confidence", "bbox_xyxy": [x1, y1, x2, y2]}]}; boxes 0-based, in
the working resolution). Streams whose id starts with --prefix are scored; each stream's messages earlier than
--skip-seconds after its first message are skipped (warm-up).

Each published message is one "look": clip frame = frame_id % clip_frames (a looping file's frame_id keeps counting
across loops), loop = frame_id // clip_frames. The ground truth is the reference rows of that clip frame (MOT frame
clip_frame + 1; MOT boxes are 1-based, shifted back here), with ids made unique per loop (id + loop * 100000): the
same reference person on the next loop is a new object, so a published identity carried across the loop boundary is
not taken for the old one. Hypotheses are the published tracks of --class-id (0, person). Matching: IoU >= 0.5
(mm.distances.iou_matrix, max_iou=0.5). One accumulator per stream; all combined with compute_many(generate_overall).
"""
import argparse
import collections
import json
import pathlib
import sys

import numpy as np

# motmetrics 1.4.0 calls np.asfarray, which NumPy 2 removed; give it the same meaning.
if not hasattr(np, "asfarray"):
    np.asfarray = lambda a, dtype=float: np.asarray(a, dtype=dtype)

import motmetrics as mm  # noqa: E402

LOOP_ID_STRIDE = 100000
ROOT = pathlib.Path(__file__).resolve().parent.parent
METRICS = ["num_frames", "num_unique_objects", "num_objects", "num_predictions", "num_matches", "num_switches",
           "num_false_positives", "num_misses", "num_fragmentations", "mostly_tracked", "partially_tracked",
           "mostly_lost", "mota", "motp", "recall", "precision", "idf1", "idp", "idr"]


def read_reference(path):
    """MOT gt file -> {1-based frame: (ids, [[x, y, w, h] 0-based])}."""
    rows = collections.defaultdict(list)
    with open(path) as handle:
        for line in handle:
            fields = line.replace(",", " ").split()
            if len(fields) < 6:
                continue
            frame, track_id, x, y, w, h = (float(v) for v in fields[:6])
            rows[int(frame)].append((int(track_id), [x - 1, y - 1, w, h]))
    return {frame: ([i for i, _ in items], [b for _, b in items]) for frame, items in rows.items()}


def read_messages(path, prefix):
    """JSON lines -> {stream: [message, ...] sorted by frame_id}; also the count of unreadable lines."""
    streams = collections.defaultdict(list)
    bad = 0
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
                if "event" in message:
                    continue  # a zone or line event (the file carries them after their frame)
                stream = message["stream"]
                int(message["frame_id"]), float(message["timestamp_ms"])
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            if isinstance(stream, str) and stream.startswith(prefix):
                streams[stream].append(message)
    for messages in streams.values():
        messages.sort(key=lambda m: int(m["frame_id"]))
    return streams, bad


def main() -> int:
    parser = argparse.ArgumentParser(description="Score published tracks against the full-rate fidelity reference")
    parser.add_argument("messages", help="pipeline JSON-lines output")
    parser.add_argument("--reference", default=str(ROOT / "var/fidelity/vtest-gt.txt"), help="scripts/fidelity-reference.py gt")
    parser.add_argument("--prefix", default="vtest-", help="score streams whose id starts with this")
    parser.add_argument("--skip-seconds", type=float, default=10.0, help="warm-up skipped per stream")
    parser.add_argument("--clip-frames", type=int, default=795, help="frames in one loop of the clip (vtest.avi: 795)")
    parser.add_argument("--class-id", type=int, default=0, help="published class scored (0: person)")
    parser.add_argument("--max-iou", type=float, default=0.5, help="IoU distance limit (1 - IoU); 0.5 = IoU >= 0.5")
    parser.add_argument("--per-stream", action="store_true", help="print a line per stream too")
    parser.add_argument("--json", help="write the figures here as JSON")
    args = parser.parse_args()

    reference = read_reference(args.reference)
    streams, bad = read_messages(args.messages, args.prefix)
    if not streams:
        raise SystemExit(f"fidelity-score: no message of a stream starting with {args.prefix!r} in {args.messages}")

    accumulators, names, per_stream = [], [], {}
    for stream in sorted(streams):
        messages = streams[stream]
        start = min(float(m["timestamp_ms"]) for m in messages) + args.skip_seconds * 1000
        scored = [m for m in messages if float(m["timestamp_ms"]) >= start]
        if not scored:
            continue
        accumulator = mm.MOTAccumulator(auto_id=False)
        for message in scored:
            frame_id = int(message["frame_id"])
            loop, clip_frame = divmod(frame_id, args.clip_frames)
            gt_ids, gt_boxes = reference.get(clip_frame + 1, ([], []))
            gt_ids = [i + loop * LOOP_ID_STRIDE for i in gt_ids]
            hyp_ids, hyp_boxes = [], []
            for track in message.get("tracks") or []:
                if int(track.get("class_id", -1)) != args.class_id:
                    continue
                x1, y1, x2, y2 = (float(v) for v in track["bbox_xyxy"])
                hyp_ids.append(int(track["track_id"]))
                hyp_boxes.append([x1, y1, x2 - x1, y2 - y1])
            distances = mm.distances.iou_matrix(
                np.array(gt_boxes, dtype=float).reshape(-1, 4), np.array(hyp_boxes, dtype=float).reshape(-1, 4),
                max_iou=args.max_iou)
            accumulator.update(gt_ids, hyp_ids, distances, frameid=frame_id)
        times = [float(m["timestamp_ms"]) for m in scored]
        duration = (max(times) - min(times)) / 1000
        per_stream[stream] = {
            "messages": len(scored),
            "skipped": len(messages) - len(scored),
            "seconds": duration,
            "looks_per_second": (len(scored) - 1) / duration if duration > 0 else None,
        }
        accumulators.append(accumulator)
        names.append(stream)
    if not accumulators:
        raise SystemExit(f"fidelity-score: every message of the {len(streams)} streams is within the warm-up")

    summary = mm.metrics.create().compute_many(accumulators, names=names, metrics=METRICS, generate_overall=True)
    for stream in names:
        per_stream[stream].update({name: float(summary.loc[stream, name]) for name in METRICS})
    overall = {name: float(summary.loc["OVERALL", name]) for name in METRICS}
    messages = sum(s["messages"] for s in per_stream.values())
    seconds = sum(s["seconds"] for s in per_stream.values())
    looks = (messages - len(names)) / seconds if seconds > 0 else None  # intervals per stream-second
    switches_per_100 = 100 * overall["num_switches"] / overall["num_unique_objects"] if overall["num_unique_objects"] else None
    result = {
        "messages_file": args.messages,
        "reference": args.reference,
        "prefix": args.prefix,
        "skip_seconds": args.skip_seconds,
        "clip_frames": args.clip_frames,
        "streams": len(names),
        "messages_scored": messages,
        "unreadable_lines": bad,
        "looks_per_camera_per_second": looks,
        "recall": overall["recall"],
        "precision": overall["precision"],
        "mota": overall["mota"],
        "motp_distance": overall["motp"],
        "idf1": overall["idf1"],
        "id_switches": int(overall["num_switches"]),
        "reference_tracks": int(overall["num_unique_objects"]),
        "switches_per_100_reference_tracks": switches_per_100,
        "overall": overall,
        "per_stream": per_stream,
    }

    def fmt(value, pattern):
        return "n/a" if value is None or value != value else pattern.format(value)

    print(f"streams {len(names)} ({args.prefix}*), messages scored {messages} "
          f"(warm-up {args.skip_seconds:g} s skipped; {bad} unreadable lines)")
    print(f"looks per camera per second {fmt(looks, '{:.2f}')}")
    print(f"recall {fmt(overall['recall'], '{:.4f}')}  precision {fmt(overall['precision'], '{:.4f}')}  "
          f"MOTA {fmt(overall['mota'], '{:.4f}')}  IDF1 {fmt(overall['idf1'], '{:.4f}')}  "
          f"MOTP(1-IoU) {fmt(overall['motp'], '{:.4f}')}")
    print(f"id switches {int(overall['num_switches'])}  reference tracks {int(overall['num_unique_objects'])}  "
          f"switches per 100 reference tracks {fmt(switches_per_100, '{:.2f}')}")
    if args.per_stream:
        for stream in names:
            s = per_stream[stream]
            print(f"  {stream}: {s['messages']} msgs, {fmt(s['looks_per_second'], '{:.2f}')}/s, "
                  f"MOTA {fmt(s['mota'], '{:.4f}')}, IDF1 {fmt(s['idf1'], '{:.4f}')}, switches {int(s['num_switches'])}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2)
            handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
