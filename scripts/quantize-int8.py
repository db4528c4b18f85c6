#!/usr/bin/env python3
"""quantize-int8: makes an INT8 copy of the yolov4 detector IR with NNCF post-training quantization.

    scripts/quantize-int8.py --model models/yolov4-tiny/yolov4-tiny.xml \
        --output models/yolov4-tiny/yolov4-tiny-int8.xml --calibration samples/vtest.avi samples/carphone.mp4

Writes OUTPUT (.xml + .bin) and a copy of the f32 model's `<basename>.heads.json` as `<output basename>.heads.json`,
which is where the Swift runtime looks for it (the model path without its extension, plus `.heads.json`).

Calibration: --frames frames in total (default 300), shared evenly among the --calibration sources (a source with
fewer frames than its share gives the rest to the others). A source is a video file, an image file or a folder of
images; within a source the frames are spread evenly over its length (one per equal slice, at a position in the
slice chosen with --seed). Point it at footage like the cameras': quantization ranges are set from these frames.

The frames are prepared the way the runtime prepares them for a `format: yolov4` model: scaled to the working width
640 (aspect kept, even height, as the working size is computed in Sources/VideoIngest/WorkingSize.swift) and through I420, then stretched (no letterbox) to 416x416 with
area averaging (swscale SWS_AREA in InputWriter), RGB planar f32 in 0..1, shape [1, 3, 416, 416]. The first scale is
SWS_BILINEAR in the runtime; INTER_AREA is the OpenCV filter closest to it when shrinking.

Defaults (chosen by measuring agreement with the f32 model on a clip held out from calibration, with
scripts/int8-agreement.py): preset MIXED (asymmetric activations, symmetric weights), full bias correction (the fast
one kept clearly fewer of the f32 model's low-confidence boxes), and the two output convolutions (the last layer of
each yolo head) left in f32: their raw outputs are decoded with exp() and sigmoid(), and keeping them in f32 keeps the
boxes closer to the f32 ones for a few percent of speed.

Set-up time only (needs the openvino, nncf and opencv-python-headless Python packages; scripts/model.sh install).
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

import numpy as np

PROG = "quantize-int8"
WORKING_WIDTH = 640  # the pipeline's default working width (PipelineConfiguration.width)
INPUT_SIZE = 416
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}


def fail(message):
    raise SystemExit(f"{PROG}: {message}")


# ---------------------------------------------------------------------------------------------------------------------
# Pre-processing (shared with scripts/int8-agreement.py)

def working_size(width, height, target=WORKING_WIDTH):
    """WorkingSize.forSource: target width, height scaled to keep the aspect ratio, rounded half away from zero,
    made even."""
    scaled = int(math.floor(target * height / width + 0.5))
    return target, max(2, scaled & ~1)


def prepare(bgr, size=INPUT_SIZE):
    """A decoded BGR uint8 frame -> the network input as uint8 RGB [size, size, 3] (see `to_blob`)."""
    import cv2
    h, w = bgr.shape[:2]
    ww, wh = working_size(w, h)
    frame = cv2.resize(bgr, (ww, wh), interpolation=cv2.INTER_AREA) if (ww, wh) != (w, h) else bgr
    # the runtime's frames are I420 at the working size: chroma at half resolution
    frame = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420), cv2.COLOR_YUV2BGR_I420)
    frame = cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(frame[:, :, ::-1])


def to_blob(rgb):
    """uint8 RGB [S, S, 3] -> f32 [1, 3, S, S] in 0..1."""
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], dtype=np.float32) * np.float32(1 / 255)


def read_video(path, indices=None, every=None):
    """Yields (index, BGR frame) of `path` for the given frame indices (a set) or every `every`-th frame, decoding
    sequentially (seeking can land on a neighbouring frame)."""
    import cv2
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        fail(f"cannot open {path} as a video")
    last = max(indices) if indices else None
    index = 0
    try:
        while last is None or index <= last:
            wanted = (indices is not None and index in indices) or (every is not None and index % every == 0)
            ok, frame = capture.read() if wanted else (capture.grab(), None)
            if not ok:
                break
            if wanted:
                yield index, frame
            index += 1
    finally:
        capture.release()


def video_frame_count(path):
    import cv2
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        fail(f"cannot open {path} as a video")
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    if count <= 0:  # not in the container: count by demuxing and decoding
        count = 0
        while capture.grab():
            count += 1
    capture.release()
    return count


# ---------------------------------------------------------------------------------------------------------------------
# Calibration sources

class Source:
    """A video, an image or a folder of images: `count` frames, read by index."""

    def __init__(self, path):
        self.path = path
        if os.path.isdir(path):
            self.kind = "folder"
            self.files = sorted(os.path.join(path, name) for name in os.listdir(path)
                                if os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS)
            self.count = len(self.files)
            if not self.files:
                fail(f"{path}: a folder with no images ({', '.join(sorted(IMAGE_EXTENSIONS))})")
        elif not os.path.isfile(path):
            fail(f"{path} does not exist")
        elif os.path.splitext(path)[1].lower() in IMAGE_EXTENSIONS:
            self.kind, self.files, self.count = "image", [path], 1
        else:
            self.kind, self.count = "video", video_frame_count(path)
            if self.count == 0:
                fail(f"{path}: no frames could be decoded")

    def frames(self, indices):
        """The frames at `indices` (sorted), as network inputs (uint8 RGB)."""
        import cv2
        if self.kind == "video":
            got = [prepare(frame) for _, frame in read_video(self.path, indices=set(indices))]
            if len(got) < len(indices):
                print(f"{PROG}: warning: {self.path} ended early: {len(got)} of {len(indices)} frames",
                      file=sys.stderr)
            return got
        out = []
        for index in indices:
            image = cv2.imread(self.files[index], cv2.IMREAD_COLOR)
            if image is None:
                fail(f"cannot read {self.files[index]} as an image")
            out.append(prepare(image))
        return out


def shares(total, counts):
    """`total` split as evenly as possible over sources holding `counts` frames, none given more than it has."""
    result = [0] * len(counts)
    open_ = [i for i, c in enumerate(counts) if c > 0]
    left = total
    while left > 0 and open_:
        each, extra = divmod(left, len(open_))
        for rank, i in enumerate(list(open_)):
            take = min(each + (1 if rank < extra else 0), counts[i] - result[i])
            result[i] += take
            left -= take
        open_ = [i for i in open_ if result[i] < counts[i]]
        if each == 0 and extra == 0:
            break
    return result


def spread(count, take, rng):
    """`take` of `count` indices: one in each of `take` equal slices, at a random position in its slice."""
    if take >= count:
        return list(range(count))
    edges = np.linspace(0, count, take + 1)
    picks = []
    for start, end in zip(edges[:-1], edges[1:]):
        low, high = int(math.ceil(start)), max(int(math.ceil(start)) + 1, int(math.ceil(end)))
        picks.append(int(rng.integers(low, high)))
    return sorted(set(picks))


def calibration_frames(paths, total, seed):
    sources = [Source(path) for path in paths]
    rng = np.random.default_rng(seed)
    frames, summary = [], []
    for source, take in zip(sources, shares(total, [s.count for s in sources])):
        got = source.frames(spread(source.count, take, rng)) if take else []
        frames.extend(got)
        summary.append((source.path, len(got), source.count))
    return frames, summary


# ---------------------------------------------------------------------------------------------------------------------
# Quantization

def head_convolutions(model):
    """Names of the Convolution nodes that produce the model's outputs (through a bias Add, if any)."""
    names = []
    for result in model.get_results():
        node = result.input_value(0).get_node()
        while node.get_type_name() in ("Add", "Convert", "Reshape"):
            node = next(value.get_node() for value in node.input_values()
                        if value.get_node().get_type_name() != "Constant")
        if node.get_type_name() != "Convolution":
            fail(f"output {result.get_friendly_name()} does not come from a convolution ({node.get_type_name()})")
        names.append(node.get_friendly_name())
    return names


def main():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="the f32 IR (.xml), with its .heads.json next to it")
    parser.add_argument("--output", required=True, help="the INT8 IR to write (.xml; the .bin goes next to it)")
    parser.add_argument("--calibration", required=True, nargs="+", metavar="PATH",
                        help="video files, image files or folders of images")
    parser.add_argument("--frames", type=int, default=300, help="calibration frames in total (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="picks the frames within each slice (default 0)")
    parser.add_argument("--preset", choices=["mixed", "performance"], default="mixed",
                        help="mixed: asymmetric activations (default); performance: all symmetric")
    parser.add_argument("--bias-correction", choices=["fast", "full"], default="full",
                        help="NNCF's full bias correction (default) or the fast one")
    parser.add_argument("--quantize-heads", action="store_true",
                        help="quantize the output convolutions too (by default they stay f32)")
    args = parser.parse_args()
    if not args.output.endswith(".xml") or not args.model.endswith(".xml"):
        fail("--model and --output must be .xml files")
    if args.frames < 1:
        fail("--frames must be at least 1")
    heads_in = args.model[:-len(".xml")] + ".heads.json"
    if not os.path.isfile(heads_in):
        fail(f"{heads_in} is missing (scripts/model.sh install writes it next to the model)")
    with open(heads_in) as file:
        size = json.load(file).get("cfg_size", [INPUT_SIZE, INPUT_SIZE])
    if list(size) != [INPUT_SIZE, INPUT_SIZE]:
        fail(f"{heads_in}: the model's size is {size}; this script prepares {INPUT_SIZE}x{INPUT_SIZE} frames")

    started = time.monotonic()
    frames, summary = calibration_frames(args.calibration, args.frames, args.seed)
    if not frames:
        fail("no calibration frames")
    for path, got, count in summary:
        print(f"{PROG}: {got} calibration frames from {path} ({count})")
    read_s = time.monotonic() - started

    os.environ.setdefault("NNCF_CI", "1")  # only effect: NNCF sends no usage telemetry
    import nncf
    import openvino as ov

    model = ov.Core().read_model(args.model)
    options = dict(
        preset=nncf.QuantizationPreset.MIXED if args.preset == "mixed" else nncf.QuantizationPreset.PERFORMANCE,
        subset_size=len(frames),
        fast_bias_correction=args.bias_correction == "fast",
    )
    kept = [] if args.quantize_heads else head_convolutions(model)
    if kept:
        options["ignored_scope"] = nncf.IgnoredScope(names=kept)
    quantized = nncf.quantize(model, nncf.Dataset(frames, to_blob), **options)
    quantized.set_rt_info(", ".join(f"{os.path.basename(p)} {n}" for p, n, _ in summary),
                          ["realtime_analytics", "calibration"])
    quantized.set_rt_info(f"preset {args.preset}, {args.bias_correction} bias correction, seed {args.seed}, "
                          f"f32 layers: {', '.join(kept) or 'none'}", ["realtime_analytics", "quantization"])

    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    base = args.output[:-len(".xml")]
    # temporary names, then renames: a reader never sees a half-written model; the .xml comes last
    ov.save_model(quantized, base + ".part.xml", compress_to_fp16=False)
    shutil.copyfile(heads_in, base + ".heads.json.part")
    os.replace(base + ".heads.json.part", base + ".heads.json")
    os.replace(base + ".part.bin", base + ".bin")
    os.replace(base + ".part.xml", base + ".xml")
    total_s = time.monotonic() - started
    print(f"{PROG}: wrote {args.output} (nncf {nncf.__version__}, {len(frames)} frames, preset {args.preset}, "
          f"{args.bias_correction} bias correction, f32 output convs: {', '.join(kept) or 'none'}) in {total_s:.0f} s "
          f"({read_s:.0f} s reading frames)")


if __name__ == "__main__":
    main()
