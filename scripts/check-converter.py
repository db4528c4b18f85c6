#!/usr/bin/env python3
"""Test of scripts/darknet-to-ir.py (run by the Swift test suite; needs scripts/setup.sh to have run).

  1. converts the model into a temporary folder and checks the IR's input, outputs and sidecar;
  2. a weights file with 4 bytes too many and one with 4 bytes too few must each be rejected with a one-line error
     that names the cause, and so must a cfg with an unsupported section;
  3. numerical equivalence with an independent implementation, OpenCV's DNN darknet importer run on the ORIGINAL cfg
     and weights: the same letterboxed frame (samples/vtest.avi frame 100) at 416 and 320, IR yolo_head_N against
     OpenCV's output of the conv layer feeding the N-th [yolo] layer;
  4. the same for a small synthetic cfg with seeded random weights that uses what yolov4-tiny does not: stride-1
     max pools (darknet's asymmetric padding), grouped convolutions, mish/logistic/relu, a bias-only conv.

Bound: MAX_ABS_DIFF = 5e-4. The head outputs are logits of magnitude up to ~22; two float32 implementations that
sum in different orders (and OpenCV's Winograd 3x3 convolutions) differ by ~1e-4 after 21 layers. Folding batch norm
with AlexeyAB darknet's eps (sqrt(var + 1e-5)) instead of 1e-6 moves the outputs by ~1e-3 (the first layer has a
channel with variance 0.009), so the bound is tight enough to catch a wrong epsilon, a dropped bias or a misplaced
channel, while leaving ~3x headroom over rounding noise.

Exit 0 with one summary line on success; non-zero with a one-line reason on failure.
"""
import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONVERTER = os.path.join(ROOT, "scripts", "darknet-to-ir.py")
MAX_ABS_DIFF = 5e-4
SIZES = (416, 320)
# Observed 3e-5: ~3e-6 of rounding, the rest from darknet's sqrt(var) + 1e-6 against OpenCV's sqrt(var + 1e-6) on the
# variances near 0.001 drawn below (with the OpenCV convention the difference is 3e-6).
SYNTHETIC_BOUND = 1e-4

# Every option value here is read the same way by OpenCV and darknet. (OpenCV's importer mishandles a [route] with
# groups over several layers, so the grouped route takes one layer, as in yolov4-tiny.)
SYNTHETIC_CFG = """[net]
width=64
height=64
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=mish

[maxpool]
size=2
stride=1

[convolutional]
batch_normalize=1
filters=16
size=3
stride=2
pad=1
activation=leaky

[maxpool]
size=5
stride=1

[maxpool]
size=2
stride=2

[convolutional]
filters=16
size=1
stride=1
pad=1
activation=logistic

[route]
layers=-1
groups=2
group_id=1

[route]
layers=-1,4

[upsample]
stride=2

[route]
layers=-1,-7

[convolutional]
batch_normalize=1
filters=32
size=3
stride=1
pad=1
groups=2
activation=relu

[convolutional]
size=1
stride=1
pad=1
filters=18
activation=linear

[yolo]
mask=0,1,2
anchors=10,14, 23,27, 37,58
classes=1
num=3
"""
# (filters, input channels, size, batch_normalize, groups) of its convolutional layers, in order
SYNTHETIC_CONVS = [(8, 3, 3, 1, 1), (16, 8, 3, 1, 1), (16, 16, 1, 0, 1), (32, 40, 3, 1, 2), (18, 32, 1, 0, 1)]


class Failure(Exception):
    pass


def convert(cfg, weights, output, *extra):
    run = subprocess.run([sys.executable, CONVERTER, "--cfg", cfg, "--weights", weights, "--output", output, *extra],
                         capture_output=True, text=True)
    return run.returncode, run.stdout.strip(), run.stderr.strip()


def expect_rejection(label, cfg, weights, output, must_contain):
    code, out, err = convert(cfg, weights, output)
    if code == 0:
        raise Failure(f"{label}: the converter exited 0 (printed '{out}')")
    if len(err.splitlines()) != 1:
        raise Failure(f"{label}: expected a one-line error, got {len(err.splitlines())} lines: {err[:300]!r}")
    for text in must_contain:
        if text not in err:
            raise Failure(f"{label}: the error does not say '{text}': {err}")
    if os.path.exists(output):
        raise Failure(f"{label}: {output} was written despite the error")
    return err


def load_opencv_detect():
    sys.dont_write_bytecode = True  # no scripts/__pycache__ left behind by a test run
    spec = importlib.util.spec_from_file_location("opencv_detect", os.path.join(ROOT, "scripts", "opencv-detect.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def yolo_feeders(cfg):
    """Darknet layer indices of the [yolo] layers, in cfg order (section count minus [net])."""
    indices, index = [], -1
    with open(cfg) as f:
        for line in f:
            line = line.strip()
            if line.startswith("[") and line.endswith("]"):
                kind = line[1:-1].strip().lower()
                if kind not in ("net", "network"):
                    index += 1
                    if kind == "yolo":
                        indices.append(index)
    return indices


def write_synthetic_weights(path):
    import numpy as np
    rng = np.random.default_rng(20241)
    parts = [np.array([0, 2, 5], "<i4").tobytes(), np.array([0], "<i8").tobytes()]
    for filters, channels, size, bn, groups in SYNTHETIC_CONVS:
        parts.append(rng.normal(0, 0.1, filters))
        if bn:  # scales, rolling mean, rolling variance (some small, where the epsilon matters)
            parts += [rng.uniform(0.5, 1.5, filters), rng.normal(0, 0.1, filters), rng.uniform(0.001, 2, filters)]
        fan_in = channels // groups * size * size
        parts.append(rng.normal(0, 1 / np.sqrt(fan_in), filters * fan_in))
    with open(path, "wb") as f:
        f.write(b"".join(p if isinstance(p, bytes) else p.astype("<f4").tobytes() for p in parts))


def check_synthetic(work, core, config):
    import cv2
    import numpy as np
    cfg, weights, xml = (os.path.join(work, "synthetic" + ext) for ext in (".cfg", ".weights", ".xml"))
    with open(cfg, "w") as f:
        f.write(SYNTHETIC_CFG)
    write_synthetic_weights(weights)
    code, out, err = convert(cfg, weights, xml)
    if code != 0:
        raise Failure(f"synthetic cfg: conversion failed: {err}")
    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    feeder = f"conv_{yolo_feeders(cfg)[0] - 1}"
    worst = 0.0
    for size in (64, 96, 40):
        x = np.random.default_rng(size).random((1, 3, size, size), dtype=np.float32)
        net.setInput(x)
        want = net.forward(feeder)
        compiled = core.compile_model(core.read_model(xml), "CPU", config)  # dynamic H and W, no reshape
        got = compiled([x])[compiled.output("yolo_head_0")]
        if got.shape != want.shape:
            raise Failure(f"synthetic cfg at {size}: shape {got.shape}, OpenCV {want.shape}")
        worst = max(worst, float(np.abs(got - want).max()))
    if worst >= SYNTHETIC_BOUND:
        raise Failure(f"synthetic cfg: max |IR - OpenCV| = {worst:.3g} (bound {SYNTHETIC_BOUND:g})")
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cfg", default=os.path.join(ROOT, "models/yolov4-tiny/yolov4-tiny.cfg"))
    parser.add_argument("--weights", default=os.path.join(ROOT, "models/yolov4-tiny/yolov4-tiny.weights"))
    parser.add_argument("--video", default=os.path.join(ROOT, "samples/vtest.avi"))
    parser.add_argument("--frame", type=int, default=100)
    args = parser.parse_args()
    for path in (args.cfg, args.weights, args.video):
        if not os.path.exists(path):
            raise Failure(f"{path} is missing; run scripts/setup.sh (scripts/model.sh install) first")

    import cv2
    import numpy as np
    import openvino as ov

    work = tempfile.mkdtemp(prefix="check-converter-")
    try:
        # 1. a normal conversion
        xml = os.path.join(work, "model.xml")
        code, out, err = convert(args.cfg, args.weights, xml)
        if code != 0:
            raise Failure(f"conversion failed: {err}")
        if len(out.splitlines()) != 1 or "weight bytes consumed" not in out:
            raise Failure(f"expected one success line, got: {out!r}")
        with open(os.path.join(work, "model.heads.json")) as f:
            sidecar = json.load(f)
        heads = sidecar["heads"]
        if sidecar["input"] != "images" or [h["output"] for h in heads] != [f"yolo_head_{i}" for i in range(len(heads))]:
            raise Failure(f"unexpected sidecar names: {sidecar}")

        # 2. exact consumption of the weights, and unsupported sections
        with open(args.weights, "rb") as f:
            data = f.read()
        longer, shorter = os.path.join(work, "longer.weights"), os.path.join(work, "shorter.weights")
        with open(longer, "wb") as f:
            f.write(data + b"\0\0\0\0")
        with open(shorter, "wb") as f:
            f.write(data[:-4])
        expect_rejection("4 extra bytes", args.cfg, longer, os.path.join(work, "longer.xml"),
                         ["longer.weights", "4 bytes left over", "the cfg does not match these weights"])
        expect_rejection("4 missing bytes", args.cfg, shorter, os.path.join(work, "shorter.xml"),
                         ["shorter.weights", f"ended after {len(data) - 4} of {len(data)} bytes",
                          "the cfg does not match these weights"])
        bad_cfg = os.path.join(work, "bad.cfg")
        with open(args.cfg) as f:
            text = f.read().rstrip("\n") + "\n"
        with open(bad_cfg, "w") as f:
            f.write(text + "\n[shortcut]\nfrom=-3\n")
        expect_rejection("unsupported section", bad_cfg, args.weights, os.path.join(work, "bad.xml"),
                         [f"bad.cfg:{text.count(chr(10)) + 2}:", "[shortcut]"])

        # 3. numerical equivalence with OpenCV on the original darknet files
        detect = load_opencv_detect()
        frame = detect.read_frame(args.video, args.frame)
        net = cv2.dnn.readNetFromDarknet(args.cfg, args.weights)
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        names = list(net.getLayerNames())
        feeders = []
        for index in yolo_feeders(args.cfg):
            # OpenCV names a darknet conv without batch norm and with a linear activation conv_<layer index>; the
            # layer after it must be that [yolo] layer's permute (or the yolo layer itself)
            name = f"conv_{index - 1}"
            if name not in names or names[names.index(name) + 1] not in (f"permute_{index}", f"yolo_{index}"):
                raise Failure(f"cannot find OpenCV's layer feeding [yolo] layer {index} (looked for {name})")
            feeders.append(name)
        if len(feeders) != len(heads):
            raise Failure(f"{len(feeders)} [yolo] layers in the cfg but {len(heads)} heads in the sidecar")

        core = ov.Core()
        f32 = {"INFERENCE_PRECISION_HINT": "f32"}  # CPUs with AMX/avx512_bf16 would default to bf16
        diffs = {}
        for size in SIZES:
            blob = detect.letterbox(frame, size)[0]
            net.setInput(blob)
            reference = net.forward(feeders)
            model = core.read_model(xml)
            model.reshape({"images": [1, 3, size, size]})  # what the runtime does with the dynamic H and W
            compiled = core.compile_model(model, "CPU", f32)
            result = compiled([blob])
            worst = 0.0
            for number, head in enumerate(heads):
                got = result[compiled.output(head["output"])]
                want = reference[number]
                grid = size // head["stride"]
                if got.shape != want.shape or got.shape[2:] != (grid, grid):
                    raise Failure(f"{head['output']} at {size}: shape {got.shape}, OpenCV {want.shape}, "
                                  f"stride {head['stride']} implies {grid}x{grid}")
                worst = max(worst, float(np.abs(got - want).max()))
            diffs[size] = worst
            if worst >= MAX_ABS_DIFF:
                raise Failure(f"max |IR - OpenCV| = {worst:.3g} at {size}x{size} (bound {MAX_ABS_DIFF:g})")

        # 4. the synthetic cfg, at its own size and at two others
        synthetic = check_synthetic(work, core, f32)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("check-converter: ok: exact weight consumption (4 extra and 4 missing bytes rejected), unsupported section "
          "rejected, max |IR - OpenCV| = " + ", ".join(f"{d:.2e} at {s}" for s, d in diffs.items()) +
          f" (bound {MAX_ABS_DIFF:g}), synthetic cfg {synthetic:.2e} (bound {SYNTHETIC_BOUND:g})")


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"check-converter: FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
