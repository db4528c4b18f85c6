#!/usr/bin/env python3
"""Reference tracker for the tracking quality test: Roboflow's maintained ByteTrack (PyPI `trackers`).

Reads a MOTChallenge detection file (frame, id, x, y, w, h, score, ...), updates the tracker on frames
1, 1+every, 1+2*every, ... at timestamp (frame-1)/fps -- exactly the frames and times our tracker sees -- and writes
the confirmed tracks (tracker_id != -1) in MOTChallenge format.
"""
import argparse
import collections
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
import supervision as sv  # noqa: E402
from trackers import ByteTrackTracker  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--detections", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--last-frame", type=int, required=True)
    parser.add_argument("--lost-seconds", type=float, default=1.0)
    args = parser.parse_args()

    by_frame = collections.defaultdict(list)
    with open(args.detections) as handle:
        for line in handle:
            fields = [float(v) for v in line.replace(",", " ").split()]
            if len(fields) < 7:
                continue
            frame, _, x, y, w, h, score = fields[:7]
            # MOTChallenge boxes are 1-based, as our reader shifts them.
            by_frame[int(frame)].append((x - 1, y - 1, x - 1 + w, y - 1 + h, score))

    # The lost-track buffer is given in 30 fps frames; the same duration as ours.
    tracker = ByteTrackTracker(lost_track_buffer=round(args.lost_seconds * 30), frame_rate=args.fps)
    rows = []
    for frame in range(1, args.last_frame + 1, args.every):
        boxes = by_frame.get(frame, [])
        if boxes:
            array = np.array(boxes, dtype=np.float64)
            detections = sv.Detections(
                xyxy=array[:, :4], confidence=array[:, 4], class_id=np.zeros(len(boxes), dtype=int))
        else:
            detections = sv.Detections.empty()
            detections.confidence = np.zeros(0)
        result = tracker.update(detections, timestamp=(frame - 1) / args.fps)
        for box, track_id, score in zip(result.xyxy, result.tracker_id, result.confidence):
            if track_id == -1:
                continue
            x1, y1, x2, y2 = (float(v) for v in box)
            rows.append(f"{frame},{int(track_id)},{x1 + 1},{y1 + 1},{x2 - x1},{y2 - y1},{float(score)},-1,-1,-1")
    with open(args.output, "w") as handle:
        handle.write("\n".join(rows) + ("\n" if rows else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
