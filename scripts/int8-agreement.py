#!/usr/bin/env python3
"""int8-agreement: how closely the INT8 detector follows the f32 one, and how fast each runs.

    scripts/int8-agreement.py --clips samples/vtest.avi samples/bikes.mp4 --every 5 [--baseline] [--benchmark 10]

Runs the f32 IR (INFERENCE_PRECISION_HINT f32: the reference) and the INT8 IR (the CPU's default precision for the
layers left in float, as the runtime does when model.precision is unset) on every --every-th frame of each clip,
decodes both like the runtime (DarknetYOLODecoder: objectness >= confidence, then every class whose
objectness * class score >= confidence; class-aware greedy NMS at --nms), keeps --classes, and prints per clip:
  recall vs f32     of the f32 boxes, the fraction matched by an INT8 box of the same class with IoU >= --iou
  precision vs f32  of the INT8 boxes, the fraction matched by an f32 box
(one-to-one matching, highest IoU first), and the recall of the f32 boxes scoring at least --confident (0.5, the
tracker's high threshold: boxes near --conf come and go with any change in precision). --baseline adds the f32 IR at
the CPU's default precision (bf16 where the CPU has it) as a second candidate, to show how much of the difference
plain reduced precision already makes.

--benchmark S times each model for S seconds: 2 infer requests in 2 threads, compiled as the runtime compiles it for 2
workers (NUM_STREAMS 2, INFERENCE_NUM_THREADS 2: one thread per stream), in --rounds interleaved rounds, and prints the
best and the median round's frames/s.

Frames are prepared as scripts/quantize-int8.py prepares its calibration frames (the runtime's pre-processing).
"""
import argparse
import importlib.util
import json
import os
import threading
import time

import numpy as np

PROG = "int8-agreement"
HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("quantize_int8", os.path.join(HERE, "quantize-int8.py"))
quantize_int8 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(quantize_int8)

DEFAULT_CLASSES = "person,bicycle,car,motorbike,bus,truck"


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def decode(outputs, heads, conf, keep):
    """Raw head outputs -> rows (x1, y1, x2, y2, score, class) in input pixels, before NMS."""
    rows = []
    for raw, head in zip(outputs, heads):
        anchors = np.asarray(head["anchors"], np.float32)
        classes, s, stride = head["classes"], head["scale_x_y"], head["stride"]
        _, channels, height, width = raw.shape
        values = raw.reshape(len(anchors), 5 + classes, height, width).astype(np.float64)
        objectness = sigmoid(values[:, 4])
        a, y, x = np.nonzero(objectness >= conf)
        if len(a) == 0:
            continue
        cx = (sigmoid(values[a, 0, y, x]) * s - (s - 1) / 2 + x) * stride
        cy = (sigmoid(values[a, 1, y, x]) * s - (s - 1) / 2 + y) * stride
        w = np.exp(values[a, 2, y, x]) * anchors[a, 0]
        h = np.exp(values[a, 3, y, x]) * anchors[a, 1]
        scores = objectness[a, y, x][:, None] * sigmoid(values[a, 5:, y, x])  # [n, classes]
        for c in keep:
            hit = np.nonzero(scores[:, c] >= conf)[0]
            for i in hit:
                rows.append((cx[i] - w[i] / 2, cy[i] - h[i] / 2, cx[i] + w[i] / 2, cy[i] + h[i] / 2,
                             scores[i, c], c))
    return np.asarray(rows, np.float64).reshape(-1, 6)


def iou_matrix(a, b):
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda r: np.clip(r[:, 2] - r[:, 0], 0, None) * np.clip(r[:, 3] - r[:, 1], 0, None)
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where((inter > 0) & (union > 0), inter / np.where(union > 0, union, 1), 0)


def nms(rows, threshold, size):
    """NonMaximumSuppression.apply, then clipped to the input (the runtime clips to the frame)."""
    rows = rows[np.argsort(-rows[:, 4], kind="stable")]
    kept = []
    for row in rows:
        if not any(k[5] == row[5] and iou_matrix(k[None], row[None])[0, 0] > threshold for k in kept):
            kept.append(row)
    out = np.asarray(kept, np.float64).reshape(-1, 6)
    out[:, :4] = np.clip(out[:, :4], 0, size)
    return out


def match(reference, candidate, threshold):
    """One-to-one same-class pairs with IoU >= threshold (greedy, highest IoU first): their IoUs, and which reference
    boxes are matched (a boolean per box)."""
    found = np.zeros(len(reference), bool)
    if len(reference) == 0 or len(candidate) == 0:
        return [], found
    ious = iou_matrix(reference, candidate)
    ious[reference[:, 5][:, None] != candidate[:, 5][None, :]] = 0
    pairs = sorted(((ious[i, j], i, j) for i, j in zip(*np.nonzero(ious >= threshold))), reverse=True)
    used_r, used_c, matched = set(), set(), []
    for value, i, j in pairs:
        if i not in used_r and j not in used_c:
            used_r.add(i)
            used_c.add(j)
            matched.append(value)
            found[i] = True
    return matched, found


def compile_model(core, path, hint, config=None):
    import openvino as ov
    model = core.read_model(path)
    model.reshape({model.inputs[0].get_any_name(): ov.PartialShape([1, 3, quantize_int8.INPUT_SIZE,
                                                                     quantize_int8.INPUT_SIZE])})
    properties = dict(config or {})
    if hint:
        properties["INFERENCE_PRECISION_HINT"] = hint
    return core.compile_model(model, "CPU", properties)


class Timer:
    """A model compiled as the runtime compiles it for 2 workers, with 2 infer requests."""

    def __init__(self, core, path, hint, blob):
        import openvino as ov
        self.compiled = compile_model(core, path, hint, {"NUM_STREAMS": "2", "INFERENCE_NUM_THREADS": "2"})
        self.streams = str(self.compiled.get_property("NUM_STREAMS"))
        self.precision = str(self.compiled.get_property("INFERENCE_PRECISION_HINT"))
        self.requests = [self.compiled.create_infer_request() for _ in range(2)]
        for request in self.requests:
            request.set_input_tensor(0, ov.Tensor(blob))
            request.infer()  # warm

    def run(self, seconds):
        """Frames/s of the 2 requests inferring in 2 threads for `seconds`."""
        counts = [0, 0]
        deadline = [0.0]
        barrier = threading.Barrier(3)

        def worker(slot):
            request = self.requests[slot]
            barrier.wait()
            while time.monotonic() < deadline[0]:
                request.infer()
                counts[slot] += 1

        threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(2)]
        for thread in threads:
            thread.start()
        start = time.monotonic()
        deadline[0] = start + seconds
        barrier.wait()
        for thread in threads:
            thread.join()
        return sum(counts) / (time.monotonic() - start)


def main():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    models = os.path.join(os.path.dirname(HERE), "models", "yolov4-tiny")
    parser.add_argument("--f32", default=os.path.join(models, "yolov4-tiny.xml"))
    parser.add_argument("--int8", default=os.path.join(models, "yolov4-tiny-int8.xml"))
    parser.add_argument("--names", default=os.path.join(models, "coco.names"))
    parser.add_argument("--clips", nargs="*", default=[], help="videos to compare the models on")
    parser.add_argument("--every", type=int, default=5, help="use every N-th frame (default 5)")
    parser.add_argument("--conf", type=float, default=0.25)
    parser.add_argument("--nms", type=float, default=0.45)
    parser.add_argument("--iou", type=float, default=0.5, help="IoU for two boxes to agree (default 0.5)")
    parser.add_argument("--confident", type=float, default=0.5,
                        help="also report recall of the f32 boxes at least this confident (default 0.5, the "
                             "tracker's high threshold)")
    parser.add_argument("--classes", default=DEFAULT_CLASSES, help=f"comma-separated (default {DEFAULT_CLASSES})")
    parser.add_argument("--baseline", action="store_true", help="also compare f32 at the CPU's default precision")
    parser.add_argument("--benchmark", type=float, default=0, metavar="S", help="time each model for S seconds")
    parser.add_argument("--rounds", type=int, default=5, help="--benchmark time split into this many rounds")
    parser.add_argument("--time-also", action="append", default=[], metavar="LABEL=PATH",
                        help="another model to time (default precision); repeatable")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    import openvino as ov
    with open(args.f32[:-len(".xml")] + ".heads.json") as file:
        heads = json.load(file)["heads"]
    with open(args.names) as file:
        names = [line.strip() for line in file if line.strip()]
    keep = []
    for name in args.classes.split(","):
        if name not in names:
            raise SystemExit(f"{PROG}: {name} is not in {args.names}")
        keep.append(names.index(name))

    core = ov.Core()
    candidates = [("int8", args.int8, None)]
    if args.baseline:
        candidates.append(("f32-default", args.f32, None))
    results = {"clips": {}, "speed": {}}
    reference = compile_model(core, args.f32, "f32")
    compiled = {label: compile_model(core, path, hint) for label, path, hint in candidates}
    size = quantize_int8.INPUT_SIZE
    for clip in args.clips:
        # f32 boxes, candidate boxes, IoUs of the matches, f32 boxes >= --confident, how many of those matched
        totals = {label: [0, 0, [], 0, 0] for label in compiled}
        frames = 0
        for _, frame in quantize_int8.read_video(clip, every=args.every):
            blob = quantize_int8.to_blob(quantize_int8.prepare(frame))
            detect = lambda model: nms(decode([model(blob)[o] for o in model.outputs], heads, args.conf, keep),
                                       args.nms, size)
            expected = detect(reference)
            frames += 1
            for label, model in compiled.items():
                got = detect(model)
                ious, found = match(expected, got, args.iou)
                confident = expected[:, 4] >= args.confident
                entry = totals[label]
                entry[0] += len(expected)
                entry[1] += len(got)
                entry[2] += ious
                entry[3] += int(confident.sum())
                entry[4] += int((found & confident).sum())
        for label, (n_ref, n_got, ious, n_confident, found_confident) in totals.items():
            matched = len(ious)
            ratio = lambda a, b: a / b if b else float("nan")
            row = {"frames": frames, "f32_boxes": n_ref, "boxes": n_got, "matched": matched,
                   "recall": ratio(matched, n_ref), "precision": ratio(matched, n_got),
                   "mean_iou": float(np.mean(ious)) if ious else float("nan"),
                   "confident_f32_boxes": n_confident, "confident_recall": ratio(found_confident, n_confident)}
            results["clips"].setdefault(clip, {})[label] = row
            print(f"{os.path.basename(clip)}: {label} vs f32: recall {row['recall']:.3f} ({matched}/{n_ref}), "
                  f"precision {row['precision']:.3f} ({matched}/{n_got}), mean IoU {row['mean_iou']:.3f}, "
                  f"recall of f32 boxes >= {args.confident:g} {row['confident_recall']:.3f} "
                  f"({found_confident}/{n_confident}), {frames} frames")
    if args.benchmark > 0:
        clip = args.clips[0] if args.clips else None
        frame = next(quantize_int8.read_video(clip, every=1))[1] if clip else \
            np.random.default_rng(0).integers(0, 256, (576, 768, 3), dtype=np.uint8)
        blob = quantize_int8.to_blob(quantize_int8.prepare(frame))
        timed = [("f32-default", args.f32, None), ("f32", args.f32, "f32"), ("int8", args.int8, None)]
        timed += [tuple(extra.split("=", 1)) + (None,) for extra in args.time_also]
        timers = [(label, Timer(core, path, hint, blob)) for label, path, hint in timed]
        # interleaved rounds, so that other load on the machine hits every model alike; the best round is the
        # closest to the model's speed on an idle machine
        rates = {label: [] for label, _ in timers}
        load = os.getloadavg()[0]
        for _ in range(args.rounds):
            for label, timer in timers:
                rates[label].append(timer.run(args.benchmark / args.rounds))
        print(f"{PROG}: frames/s, 2 requests in 2 threads, {args.rounds} rounds of {args.benchmark / args.rounds:g} s "
              f"(load average {load:.2f} before, {os.getloadavg()[0]:.2f} after):")
        for label, timer in timers:
            best, median = max(rates[label]), float(np.median(rates[label]))
            results["speed"][label] = {"best_fps": best, "median_fps": median, "rounds": rates[label],
                                       "streams": timer.streams, "precision": timer.precision}
            print(f"  {label}: best {best:.1f}, median {median:.1f} (NUM_STREAMS {timer.streams}, "
                  f"inference precision {timer.precision})")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)


if __name__ == "__main__":
    main()
