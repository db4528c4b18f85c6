#!/usr/bin/env python3
"""Reference detector: OpenCV's DNN module on the original darknet cfg + weights, for one frame of a video.

    scripts/opencv-detect.py --video samples/vtest.avi --frame 100 --cfg models/yolov4-tiny/yolov4-tiny.cfg \
        --weights models/yolov4-tiny/yolov4-tiny.weights --names models/yolov4-tiny/coco.names \
        --size 416 --conf 0.25 --nms 0.45      (--size 416x352: a width x height input)

Prints {"width": W, "height": H, "detections": [{"class_id", "class", "confidence", "bbox_xyxy"}, ...]} (sorted by
confidence, highest first; bbox in source-frame pixels). It shares no code with the Swift runtime or with
darknet-to-ir.py, so the runtime's detections can be checked against it.

The pre-processing is the one the runtime is meant to use:
  - the frame (0-based index, read by decoding every frame up to it, not by seeking) is scaled by
    s = min(S / w, S / h) to round(w * s) x round(h * s) with cv2.resize INTER_LINEAR on the 8-bit BGR image;
  - it is centred on an S x S canvas of 127.5 (0.5 after / 255), offset ((S - nw) // 2, (S - nh) // 2);
  - then RGB planar f32 / 255, shape [1, 3, S, S].
--resize stretch instead scales each axis to S (no padding), as cv2.dnn.blobFromImage does. On vtest.avi frame 100
at 416 the two differ noticeably: letterbox finds 4 persons, a car (0.86) and a truck (0.64); stretch finds 6
persons, a car (0.97) and a truck (0.71).
"""
import argparse
import json
import sys

import cv2
import numpy as np


def read_frame(video, index):
    capture = cv2.VideoCapture(video)
    if not capture.isOpened():
        raise SystemExit(f"opencv-detect: cannot open {video}")
    frame = None
    for _ in range(index + 1):  # decode sequentially: seeking in AVI/MP4 can land on a neighbouring frame
        ok, frame = capture.read()
        if not ok:
            raise SystemExit(f"opencv-detect: {video} has no frame {index}")
    capture.release()
    return frame


def sides(size):
    """An input size, S (square) or (width, height), as (width, height)."""
    return (size, size) if isinstance(size, int) else tuple(size)


def letterbox(frame, size, stretch=False, interpolation=cv2.INTER_AREA):
    """BGR uint8 frame -> (blob [1, 3, H, W] f32 RGB 0..1, scale_x, scale_y, pad_x, pad_y); size S or (W, H).

    stretch=True scales each axis to the input on its own (no padding, aspect ratio not kept), like
    cv2.dnn.blobFromImage."""
    h, w = frame.shape[:2]
    width, height = sides(size)
    if stretch:
        scale_x, scale_y, nw, nh = width / w, height / h, width, height
    else:
        scale_x = scale_y = min(width / w, height / h)
        nw, nh = int(round(w * scale_x)), int(round(h * scale_y))
    resized = cv2.resize(frame, (nw, nh), interpolation=interpolation)
    pad_x, pad_y = (width - nw) // 2, (height - nh) // 2
    canvas = np.full((height, width, 3), 127.5, np.float32)
    canvas[pad_y:pad_y + nh, pad_x:pad_x + nw] = resized
    blob = (canvas[:, :, ::-1] / 255.0).transpose(2, 0, 1)[None]
    return np.ascontiguousarray(blob, dtype=np.float32), scale_x, scale_y, pad_x, pad_y


def detect(frame, net, size, conf, nms, stretch=False, interpolation=cv2.INTER_AREA):
    h, w = frame.shape[:2]
    blob, scale_x, scale_y, pad_x, pad_y = letterbox(frame, size, stretch, interpolation)
    width, height = sides(size)
    net.setInput(blob)
    # OpenCV's darknet [yolo] layers output decoded rows: cx, cy, w, h (fractions of the network input), objectness,
    # then one column per class that ALREADY holds objectness * sigmoid(class logit), set to 0 where that product is
    # not above the layer's thresh (0.2 by default, so a --conf below 0.2 cannot see everything). Checked against our own decoding of the raw conv outputs: equal
    # to float precision. So the class column is the score; it is not multiplied by objectness again here.
    rows = np.concatenate([out.reshape(-1, out.shape[-1]) for out in net.forward(net.getUnconnectedOutLayersNames())])
    candidates = {}  # class id -> (boxes [x, y, w, h], scores)
    for row in rows:
        for class_id in np.nonzero(row[5:] >= conf)[0]:
            cx, cy, bw, bh = row[0] * width, row[1] * height, row[2] * width, row[3] * height
            # letterbox pixels -> source pixels, clipped to the frame
            x1 = min(max((cx - bw / 2 - pad_x) / scale_x, 0.0), w)
            y1 = min(max((cy - bh / 2 - pad_y) / scale_y, 0.0), h)
            x2 = min(max((cx + bw / 2 - pad_x) / scale_x, 0.0), w)
            y2 = min(max((cy + bh / 2 - pad_y) / scale_y, 0.0), h)
            boxes, scores = candidates.setdefault(int(class_id), ([], []))
            boxes.append([float(x1), float(y1), float(x2 - x1), float(y2 - y1)])
            scores.append(float(row[5 + class_id]))
    detections = []
    for class_id, (boxes, scores) in candidates.items():  # class-aware NMS, on the clipped source-frame boxes
        for i in np.array(cv2.dnn.NMSBoxes(boxes, scores, conf, nms)).reshape(-1):
            x, y, bw, bh = boxes[i]
            detections.append((scores[i], class_id, [x, y, x + bw, y + bh]))
    detections.sort(key=lambda d: -d[0])
    return detections


def main():
    parser = argparse.ArgumentParser(description="OpenCV DNN reference detections for one video frame")
    parser.add_argument("--video", default="samples/vtest.avi")
    parser.add_argument("--frame", type=int, default=100, help="0-based frame index")
    parser.add_argument("--cfg", default="models/yolov4-tiny/yolov4-tiny.cfg")
    parser.add_argument("--weights", default="models/yolov4-tiny/yolov4-tiny.weights")
    parser.add_argument("--names", default="models/yolov4-tiny/coco.names")
    parser.add_argument("--size", type=lambda text: int(text) if "x" not in text else
                        tuple(int(side) for side in text.split("x")), default=416,
                        help="network input: S (square) or WxH, e.g. 416 or 416x352")
    parser.add_argument("--conf", type=float, default=0.25)
    parser.add_argument("--nms", type=float, default=0.45)
    parser.add_argument("--i420", help="take the frame from this raw I420 file (Y, U, V planes, rows unpadded) "
                        "instead of decoding --video: the same pixels another decoder produced")
    parser.add_argument("--width", type=int, help="width of the --i420 frame")
    parser.add_argument("--height", type=int, help="height of the --i420 frame")
    parser.add_argument("--interpolation", choices=["area", "linear"], default="area",
                        help="downscaling filter: area averages like swscale's filters do when shrinking (default); "
                             "linear samples 2x2 pixels without anti-aliasing")
    parser.add_argument("--resize", choices=["letterbox", "stretch"], default="letterbox",
                        help="letterbox (keep the aspect ratio, pad with 0.5) or stretch each axis to --size")
    args = parser.parse_args()

    with open(args.names) as f:
        names = [line.strip() for line in f if line.strip()]
    if args.i420:
        if not args.width or not args.height:
            raise SystemExit("opencv-detect: --i420 needs --width and --height")
        raw = np.fromfile(args.i420, dtype=np.uint8)
        expected = args.width * args.height * 3 // 2
        if raw.size != expected:
            raise SystemExit(f"opencv-detect: {args.i420} has {raw.size} bytes, not {expected} for I420 {args.width}x{args.height}")
        frame = cv2.cvtColor(raw.reshape(args.height * 3 // 2, args.width), cv2.COLOR_YUV2BGR_I420)
    else:
        frame = read_frame(args.video, args.frame)
    net = cv2.dnn.readNetFromDarknet(args.cfg, args.weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    interpolation = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR}[args.interpolation]
    detections = detect(frame, net, args.size, args.conf, args.nms, args.resize == "stretch", interpolation)
    items = [json.dumps({
        "class_id": class_id,
        "class": names[class_id] if class_id < len(names) else str(class_id),
        "confidence": round(score, 6),
        "bbox_xyxy": [round(v, 3) for v in box],
    }) for score, class_id, box in detections]
    # one detection a line, so that the output reads (and diffs) well
    print(f'{{"width": {frame.shape[1]}, "height": {frame.shape[0]}, "detections": [' +
          ",".join("\n  " + item for item in items) + ("\n" if items else "") + "]}")

if __name__ == "__main__":
    main()
