#!/usr/bin/env python3
"""Full-rate reference for the live-fidelity benchmark: detect and track persons on EVERY frame of vtest.avi.

    scripts/fidelity-reference.py [--video samples/vtest.avi] [--output-gt var/fidelity/vtest-gt.txt]
        [--output-det var/fidelity/vtest-det.txt]

Independent of the Swift runtime: OpenCV DNN on the darknet cfg + weights (the detection code of
scripts/opencv-detect.py) and Roboflow's ByteTrackTracker (PyPI `trackers`, used as scripts/bytetrack-reference.py
uses it), at the clip's full 10 fps.

Pre-processing follows the runtime's defaults for a yolov4 model: the decoded frame is scaled to the pipeline's
working width (640; the height keeps the aspect ratio, rounded down to even: 768x576 -> 640x480), then stretched to
--size x --size (no letterbox). Both downscales use INTER_AREA. Boxes are in that working-resolution pixel space,
the one the pipeline publishes.

Outputs (MOTChallenge text; 1-based frames, frame index i -> i + 1; 1-based pixel coordinates, x + 1 / y + 1, as
MOTChallenge files are and as the Swift MOT reader expects):
  --output-gt   frame,id,x,y,w,h,1,-1,-1,-1       the confirmed tracks (person, class 0) at each frame
  --output-det  frame,-1,x,y,w,h,score,-1,-1,-1   the raw person detections, scores >= --low-conf, after NMS
ByteTrack reports a track only from its second frame (it needs two consecutive matches); the reference adds each
track's first box back (its birth detection; --no-backfill leaves it out), or the clip's first frame, which a
looping stream sees on every loop, would have no reference at all.
The det file lets `realtime-analytics track-mot --detections DET --ground-truth GT --fps 10 --every K` simulate
low look rates offline.

Scores: the detector keeps persons down to --low-conf (0.1) so ByteTrack's second, low-score association pass sees
them (Roboflow's ByteTrack treats everything under its high threshold, 0.6, as low-score and starts tracks only at
0.7). --conf (0.25, the runtime's threshold) is reported beside it. OpenCV's darknet [yolo] layers zero every class
score not above the cfg's `thresh` (0.2 when absent), so the cfg is loaded with thresh set below --low-conf.
Because greedy NMS never lets a lower score suppress a higher one, the detections >= --conf are the same as an NMS
run at --conf would give.
"""
import argparse
import collections
import importlib.util
import os
import pathlib
import re
import sys
import time
import warnings

import cv2
import numpy as np

warnings.filterwarnings("ignore")
import supervision as sv  # noqa: E402
from trackers import ByteTrackTracker  # noqa: E402

PERSON = 0
SCRIPTS = pathlib.Path(__file__).resolve().parent
ROOT = SCRIPTS.parent


def load_opencv_detect():
    """scripts/opencv-detect.py as a module (its file name has a hyphen)."""
    spec = importlib.util.spec_from_file_location("opencv_detect", SCRIPTS / "opencv-detect.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_net(cfg, weights, layer_thresh):
    """The darknet net, with every [yolo] layer's `thresh` (score zeroing in OpenCV) set to layer_thresh."""
    text = pathlib.Path(cfg).read_text()
    sections = re.split(r"(?m)^(?=\s*\[)", text)
    patched = []
    for section in sections:
        if section.lstrip().lower().startswith("[yolo]"):
            section = re.sub(r"(?m)^\s*thresh\s*=.*\n?", "", section)
            header, _, rest = section.partition("\n")
            section = f"{header}\nthresh={layer_thresh}\n{rest}"
        patched.append(section)
    cfg_bytes = np.frombuffer("".join(patched).encode(), dtype=np.uint8)
    weights_bytes = np.fromfile(weights, dtype=np.uint8)
    net = cv2.dnn.readNetFromDarknet(cfg_bytes, weights_bytes)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    return net


def working_size(width, height, target_width):
    """The pipeline's working resolution for `pipeline.width: W, height: 0` (WorkingSize.forSource in Sources/VideoIngest)."""
    scaled = int(np.floor(target_width * height / width + 0.5))  # Swift .rounded(): half away from zero
    return target_width, max(2, scaled & ~1)


def iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def backfill_first_boxes(reference, persons_by_frame, tracker):
    """Adds each track's first box, which ByteTrack does not report.

    A track is born from an unmatched detection (score >= track_activation_threshold) and only gets its id when
    it is matched again on the next frame, so every track's first frame is missing from the output -- for the clip's
    first frame that would be every person, and a looping stream looks at that frame on every loop. The birth
    detection is the one of the previous frame that no reported track used and that overlaps the track's first
    reported box most (IoU >= the tracker's minimum_iou_threshold: the birth box is what was matched). Returns the
    number of boxes added."""
    first_frame = {}
    for frame_index in sorted(reference):
        for track_id, box, _ in reference[frame_index]:
            first_frame.setdefault(track_id, (frame_index, box))
    added = 0
    for track_id, (frame_index, box) in sorted(first_frame.items(), key=lambda item: item[1][0]):
        if frame_index == 0:
            continue
        previous = frame_index - 1
        used = [b for _, b, _ in reference.get(previous, [])]
        best, best_iou = None, tracker.minimum_iou_threshold
        for score, candidate in persons_by_frame[previous]:
            if score < tracker.track_activation_threshold or any(list(map(float, candidate)) == b for b in used):
                continue
            overlap = iou(candidate, box)
            if overlap >= best_iou:
                best, best_iou = (score, candidate), overlap
        if best is not None:
            reference[previous].append((track_id, [float(v) for v in best[1]], float(best[0])))
            added += 1
    return added


def main() -> int:
    parser = argparse.ArgumentParser(description="Full-rate detector + ByteTrack reference for the live-fidelity benchmark")
    parser.add_argument("--video", default=str(ROOT / "samples/vtest.avi"))
    parser.add_argument("--output-gt", default=str(ROOT / "var/fidelity/vtest-gt.txt"))
    parser.add_argument("--output-det", default=str(ROOT / "var/fidelity/vtest-det.txt"))
    parser.add_argument("--cfg", default=str(ROOT / "models/yolov4-tiny/yolov4-tiny.cfg"))
    parser.add_argument("--weights", default=str(ROOT / "models/yolov4-tiny/yolov4-tiny.weights"))
    parser.add_argument("--names", default=str(ROOT / "models/yolov4-tiny/coco.names"))
    parser.add_argument("--size", type=int, default=416, help="network input (stretched, square)")
    parser.add_argument("--width", type=int, default=640, help="pipeline working width (pipeline.width)")
    parser.add_argument("--conf", type=float, default=0.25, help="the runtime's confidence threshold (reported)")
    parser.add_argument("--low-conf", type=float, default=0.1, help="lowest score kept (det file, tracker input)")
    parser.add_argument("--nms", type=float, default=0.45)
    parser.add_argument("--fps", type=float, default=10.0, help="tracker frame rate (vtest.avi is 10 fps)")
    parser.add_argument("--lost-seconds", type=float, default=2.0,
                        help="ByteTrack lost-track buffer, seconds (config/sample-pipeline.yaml tracker.lost_track_s)")
    parser.add_argument("--no-backfill", action="store_true",
                        help="do not add each track's first box (ByteTrack reports a track from its second frame)")
    args = parser.parse_args()

    started = time.monotonic()
    with open(args.names) as handle:
        names = [line.strip() for line in handle if line.strip()]
    if names[PERSON] != "person":
        raise SystemExit(f"fidelity-reference: class 0 of {args.names} is {names[PERSON]!r}, not person")
    opencv_detect = load_opencv_detect()
    net = load_net(args.cfg, args.weights, layer_thresh=min(0.2, args.low_conf / 2))
    cv2.setNumThreads(os.cpu_count() or 1)

    capture = cv2.VideoCapture(args.video)
    if not capture.isOpened():
        raise SystemExit(f"fidelity-reference: cannot open {args.video}")
    declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    tracker = ByteTrackTracker(lost_track_buffer=round(args.lost_seconds * 30), frame_rate=args.fps)

    det_rows = []
    reference = collections.defaultdict(list)  # 0-based frame index -> [(track id, [x1, y1, x2, y2], score)]
    persons_by_frame = []
    persons_per_frame, confident_per_frame = [], []
    track_ids = set()
    gt_low_score = 0  # reference boxes from a detection under --conf (recovered by the low-score pass)
    index = 0
    size = None
    while True:
        ok, frame = capture.read()  # sequential decode of every frame
        if not ok:
            break
        h, w = frame.shape[:2]
        size = working_size(w, h, args.width)
        if (w, h) != size:
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        detections = opencv_detect.detect(
            frame, net, args.size, args.low_conf, args.nms, stretch=True, interpolation=cv2.INTER_AREA)
        persons = [(score, box) for score, class_id, box in detections if class_id == PERSON]
        number = index + 1
        for score, (x1, y1, x2, y2) in persons:
            det_rows.append(f"{number},-1,{x1 + 1:.3f},{y1 + 1:.3f},{x2 - x1:.3f},{y2 - y1:.3f},{score:.6f},-1,-1,-1")
        persons_by_frame.append(persons)
        persons_per_frame.append(len(persons))
        confident_per_frame.append(sum(score >= args.conf for score, _ in persons))

        if persons:
            sv_detections = sv.Detections(
                xyxy=np.array([box for _, box in persons], dtype=np.float64),
                confidence=np.array([score for score, _ in persons], dtype=np.float64),
                class_id=np.zeros(len(persons), dtype=int))
        else:
            sv_detections = sv.Detections.empty()
            sv_detections.confidence = np.zeros(0)
        result = tracker.update(sv_detections, timestamp=index / args.fps)
        for box, track_id, score in zip(result.xyxy, result.tracker_id, result.confidence):
            if track_id != -1:
                reference[index].append((int(track_id), [float(v) for v in box], float(score)))
        index += 1
    capture.release()
    if index == 0:
        raise SystemExit(f"fidelity-reference: no frame decoded from {args.video}")

    backfilled = 0 if args.no_backfill else backfill_first_boxes(reference, persons_by_frame, tracker)
    gt_rows = []
    tracked_per_frame = []
    for frame_index in range(index):
        rows = sorted(reference.get(frame_index, []))
        tracked_per_frame.append(len(rows))
        for track_id, (x1, y1, x2, y2), score in rows:
            gt_rows.append(f"{frame_index + 1},{track_id},{x1 + 1:.3f},{y1 + 1:.3f},{x2 - x1:.3f},{y2 - y1:.3f},1,-1,-1,-1")
            track_ids.add(track_id)
            gt_low_score += score < args.conf

    for path, rows in ((args.output_gt, gt_rows), (args.output_det, det_rows)):
        pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as handle:
            handle.write("\n".join(rows) + ("\n" if rows else ""))

    elapsed = time.monotonic() - started
    persons = np.array(persons_per_frame)
    print(f"video: {args.video}: {index} frames decoded (container says {declared})"
          + ("" if declared == index else "  WARNING: the counts differ"))
    print(f"working resolution {size[0]}x{size[1]}, network {args.size}x{args.size} stretched, INTER_AREA")
    print(f"persons per frame (score >= {args.low_conf}): mean {persons.mean():.2f}, min {persons.min()}, "
          f"max {persons.max()}; {persons.sum()} detections")
    print(f"persons per frame (score >= {args.conf}): mean {np.mean(confident_per_frame):.2f}")
    print(f"tracks: {len(track_ids)} ids; {len(gt_rows)} reference boxes, mean {np.mean(tracked_per_frame):.2f} per frame "
          f"({gt_low_score} from detections under {args.conf}; {backfilled} first boxes backfilled)")
    print(f"wrote {args.output_gt} and {args.output_det} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
