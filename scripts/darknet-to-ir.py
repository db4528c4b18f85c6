#!/usr/bin/env python3
"""darknet-to-ir: converts a darknet model (.cfg + .weights) into an OpenVINO IR (.xml + .bin) plus a JSON sidecar.

    scripts/darknet-to-ir.py --cfg yolov4-tiny.cfg --weights yolov4-tiny.weights --output yolov4-tiny.xml

The IR takes one input, `images`: f32, [1, C, H, W] with H and W dynamic, RGB planar, values 0..1 (what darknet feeds
its networks). Its outputs are the raw (undecoded) outputs of the layers that feed the [yolo] layers, in cfg order,
named yolo_head_0, yolo_head_1, ...: decoding (sigmoid, anchors, scale_x_y) is left to the runtime, which reads the
anchors, strides and class count from the sidecar `<basename>.heads.json` written next to the .xml.

Supported sections: [net], [convolutional], [maxpool], [route] (with groups/group_id), [upsample] and [yolo]; any other
section, or an option value this converter cannot reproduce exactly, is a one-line error. The weights file must be
consumed exactly: bytes left over or missing mean the cfg does not describe these weights, and that is an error too.

Set-up time only (needs the openvino Python package); nothing here runs when the Swift runtime does.
"""
import argparse
import json
import os
import sys
from fractions import Fraction

import numpy as np

PROG = "darknet-to-ir"


class ConvertError(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------------------
# cfg parsing

SUPPORTED_SECTIONS = {"net", "network", "convolutional", "conv", "maxpool", "max", "route", "upsample", "yolo"}
CANONICAL = {"network": "net", "conv": "convolutional", "max": "maxpool"}


class Section:
    def __init__(self, kind, line, cfg_name):
        self.kind = kind
        self.line = line
        self.cfg_name = cfg_name
        self.options = {}
        self.used = set()

    def where(self):
        return f"{self.cfg_name}:{self.line}: [{self.kind}]"

    def _raw(self, key):
        self.used.add(key)
        return self.options.get(key)

    def int(self, key, default=None):
        value = self._raw(key)
        if value is None:
            if default is None:
                raise ConvertError(f"{self.where()} needs '{key}='")
            return default
        try:
            return int(value)
        except ValueError:
            raise ConvertError(f"{self.where()} '{key}={value}' is not an integer") from None

    def float(self, key, default):
        value = self._raw(key)
        if value is None:
            return default
        try:
            return float(value)
        except ValueError:
            raise ConvertError(f"{self.where()} '{key}={value}' is not a number") from None

    def str(self, key, default):
        value = self._raw(key)
        return default if value is None else value

    def ints(self, key, default=None):
        value = self._raw(key)
        if value is None:
            if default is None:
                raise ConvertError(f"{self.where()} needs '{key}='")
            return default
        try:
            return [int(v) for v in value.split(",") if v.strip() != ""]
        except ValueError:
            raise ConvertError(f"{self.where()} '{key}={value}' is not a list of integers") from None

    def floats(self, key):
        value = self._raw(key)
        if value is None:
            return None
        try:
            return [float(v) for v in value.split(",") if v.strip() != ""]
        except ValueError:
            raise ConvertError(f"{self.where()} '{key}={value}' is not a list of numbers") from None

    def require_default(self, key, default):
        """Options that change the forward pass in ways this converter does not reproduce: only the default passes."""
        value = self._raw(key)
        if value is not None and value.strip() != str(default):
            raise ConvertError(f"{self.where()} '{key}={value}' is not supported (only {key}={default})")


def parse_cfg(path):
    name = os.path.basename(path)
    sections = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, raw in enumerate(f, start=1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                if not line.endswith("]"):
                    raise ConvertError(f"{name}:{number}: malformed section header '{line}'")
                kind = line[1:-1].strip().lower()
                if kind not in SUPPORTED_SECTIONS:
                    raise ConvertError(f"{name}:{number}: unsupported section [{kind}]")
                sections.append(Section(CANONICAL.get(kind, kind), number, name))
                continue
            if "=" not in line:
                raise ConvertError(f"{name}:{number}: expected 'key=value' or '[section]', got '{line}'")
            if not sections:
                raise ConvertError(f"{name}:{number}: option before the first section")
            key, value = line.split("=", 1)
            sections[-1].options[key.strip()] = value.strip()
    if not sections or sections[0].kind != "net":
        raise ConvertError(f"{name}: the first section must be [net]")
    for section in sections[1:]:
        if section.kind == "net":
            raise ConvertError(f"{section.where()} appears again after the first section")
    return sections[0], sections[1:]


# ---------------------------------------------------------------------------------------------------------------------
# layer descriptions: one pass over the cfg works out every layer's channel count, stride and the weights it needs,
# before any byte of the weights file is read, so that a size mismatch can be reported in full.

ACTIVATIONS = {"leaky", "linear", "relu", "logistic", "mish", "swish"}


class Layer:
    def __init__(self, index, section):
        self.index = index
        self.section = section
        self.kind = section.kind
        self.channels = None  # output channels
        self.stride = None  # output stride relative to the network input (a Fraction)


def describe_layers(net, sections):
    in_channels = net.int("channels", 3)
    layers = []

    def ref(layer, value):
        index = layer.index + value if value < 0 else value
        if not 0 <= index < layer.index:
            raise ConvertError(f"{layer.section.where()} refers to layer {value}, which is not an earlier layer")
        source = layers[index]
        if source.kind == "yolo":
            raise ConvertError(f"{layer.section.where()} refers to layer {index}, a [yolo] layer; only its input "
                               f"can be used")
        return index

    for index, s in enumerate(sections):
        layer = Layer(index, s)
        prev_c = layers[-1].channels if layers else in_channels
        prev_stride = layers[-1].stride if layers else Fraction(1)
        if s.kind == "convolutional":
            layer.filters = s.int("filters", 1)
            layer.size = s.int("size", 1)
            layer.conv_stride = s.int("stride", 1)
            if s.int("stride_x", layer.conv_stride) != layer.conv_stride or \
                    s.int("stride_y", layer.conv_stride) != layer.conv_stride:
                raise ConvertError(f"{s.where()} different stride_x/stride_y are not supported")
            pad = s.int("pad", 0)
            layer.padding = layer.size // 2 if pad else s.int("padding", 0)  # darknet: pad=1 overrides padding=
            layer.groups = s.int("groups", 1)
            layer.batch_normalize = s.int("batch_normalize", 0) != 0
            layer.activation = s.str("activation", "logistic")
            if layer.activation not in ACTIVATIONS:
                raise ConvertError(f"{s.where()} activation={layer.activation} is not supported "
                                   f"(only {', '.join(sorted(ACTIVATIONS))})")
            for key, default in (("dilation", 1), ("binary", 0), ("xnor", 0), ("flipped", 0), ("antialiasing", 0),
                                 ("deform", 0), ("share_index", None), ("sway", 0), ("rotate", 0), ("stretch", 0),
                                 ("stretch_sway", 0), ("assisted_excitation", 0)):
                s.require_default(key, default)
            if layer.filters < 1 or layer.size < 1 or layer.conv_stride < 1 or layer.groups < 1:
                raise ConvertError(f"{s.where()} filters, size, stride and groups must be positive")
            if prev_c % layer.groups or layer.filters % layer.groups:
                raise ConvertError(f"{s.where()} groups={layer.groups} does not divide the input channels ({prev_c}) "
                                   f"and filters ({layer.filters})")
            layer.in_channels = prev_c
            layer.channels = layer.filters
            layer.stride = prev_stride * layer.conv_stride
            # darknet's load_convolutional_weights: biases, [scales, rolling_mean, rolling_variance], weights
            per_filter = 4 if layer.batch_normalize else 1
            layer.weight_count = layer.filters * (prev_c // layer.groups) * layer.size * layer.size
            layer.float_count = per_filter * layer.filters + layer.weight_count
        elif s.kind == "maxpool":
            layer.pool_stride = s.int("stride", 1)
            layer.size = s.int("size", layer.pool_stride)  # darknet's default size is the stride
            if s.int("stride_x", layer.pool_stride) != layer.pool_stride or \
                    s.int("stride_y", layer.pool_stride) != layer.pool_stride:
                raise ConvertError(f"{s.where()} different stride_x/stride_y are not supported")
            layer.padding = s.int("padding", layer.size - 1)  # darknet's default: size - 1, split begin/end below
            for key, default in (("maxpool_depth", 0), ("antialiasing", 0)):
                s.require_default(key, default)
            if layer.size < 1 or layer.pool_stride < 1 or layer.padding < 0:
                raise ConvertError(f"{s.where()} size and stride must be positive and padding not negative")
            layer.channels = prev_c
            layer.stride = prev_stride * layer.pool_stride
        elif s.kind == "route":
            layer.inputs = [ref(layer, v) for v in s.ints("layers")]
            if not layer.inputs:
                raise ConvertError(f"{s.where()} needs at least one layer in 'layers='")
            layer.groups = s.int("groups", 1)
            layer.group_id = s.int("group_id", 0)
            if layer.groups < 1 or not 0 <= layer.group_id < layer.groups:
                raise ConvertError(f"{s.where()} needs groups >= 1 and 0 <= group_id < groups")
            strides = {layers[i].stride for i in layer.inputs}
            if len(strides) != 1:
                raise ConvertError(f"{s.where()} joins layers of different spatial sizes")
            for i in layer.inputs:
                if layers[i].channels % layer.groups:
                    raise ConvertError(f"{s.where()} groups={layer.groups} does not divide the {layers[i].channels} "
                                       f"channels of layer {i}")
            layer.channels = sum(layers[i].channels // layer.groups for i in layer.inputs)
            layer.stride = strides.pop()
        elif s.kind == "upsample":
            layer.factor = s.int("stride", 2)
            layer.scale = s.float("scale", 1.0)
            if layer.factor < 1:
                raise ConvertError(f"{s.where()} stride={layer.factor} (downsampling) is not supported")
            layer.channels = prev_c
            layer.stride = prev_stride / layer.factor
        elif s.kind == "yolo":
            if index == 0:
                raise ConvertError(f"{s.where()} cannot be the first layer")
            anchors = s.floats("anchors") or []
            if len(anchors) % 2:
                raise ConvertError(f"{s.where()} 'anchors=' has an odd number of values")
            pairs = [anchors[i:i + 2] for i in range(0, len(anchors), 2)]
            num = s.int("num", len(pairs))
            if num != len(pairs):
                raise ConvertError(f"{s.where()} num={num} but {len(pairs)} anchor pairs")
            mask = s.ints("mask", list(range(num)))
            if any(not 0 <= m < len(pairs) for m in mask):
                raise ConvertError(f"{s.where()} mask={s.options.get('mask')} selects anchors that do not exist")
            layer.classes = s.int("classes", 20)
            layer.anchors = [pairs[m] for m in mask]
            layer.scale_x_y = s.float("scale_x_y", 1.0)
            s.require_default("new_coords", 0)  # the runtime decodes with sigmoid/exp, not the new_coords formulas
            expected = len(mask) * (layer.classes + 5)
            if prev_c != expected:
                raise ConvertError(f"{s.where()} expects {expected} input channels ({len(mask)} anchors x "
                                   f"({layer.classes} classes + 5)), but layer {index - 1} has {prev_c}")
            layer.channels = prev_c
            layer.stride = prev_stride
        layers.append(layer)
    return layers


# ---------------------------------------------------------------------------------------------------------------------
# weights

# Where the batch-norm epsilon goes. pjreddie's darknet normalises with (x - mean) / (sqrt(var) + 1e-6); AlexeyAB's
# darknet (which defines yolov4 and trained its weights) uses sqrt(var + 1e-5), in training and in its inference-time
# fusion; OpenCV's darknet importer uses a BatchNorm layer with eps=1e-6 inside the sqrt. They differ only where a
# variance is small (yolov4-tiny's first layer has one of 0.009). Against OpenCV on yolov4-tiny (vtest.avi frame 100,
# 416x416) the heads differ by at most 1.7e-4 with "darknet" (the default), 1.4e-4 with "opencv" and 1.4e-3 with
# "alexeyab"; check-converter.py's bound (5e-4) accepts the first two only.
BN_DENOMINATORS = {
    "darknet": lambda var: np.sqrt(var) + 1e-6,
    "alexeyab": lambda var: np.sqrt(var + 1e-5),
    "opencv": lambda var: np.sqrt(var + 1e-6),
}


class Weights:
    def __init__(self, path, layers):
        self.path = path
        self.name = os.path.basename(path)
        with open(path, "rb") as f:
            self.data = f.read()
        self.convs = [l for l in layers if l.kind == "convolutional"]
        if len(self.data) < 12:
            raise ConvertError(f"{self.name}: {len(self.data)} bytes is too short for a darknet weights header")
        major, minor, revision = (int(v) for v in np.frombuffer(self.data, "<i4", 3, 0))
        # darknet reads `seen` as a size_t from version 0.2 on, as an int before
        seen_bytes = 8 if (major * 10 + minor) >= 2 and major < 1000 and minor < 1000 else 4
        self.version = (major, minor, revision)
        self.header = 12 + seen_bytes
        self.expected = self.header + 4 * sum(l.float_count for l in self.convs)
        if len(self.data) < self.expected:
            done, offset = 0, self.header
            for l in self.convs:
                if offset + 4 * l.float_count > len(self.data):
                    break
                offset += 4 * l.float_count
                done += 1
            raise ConvertError(f"{self.name}: ended after {len(self.data)} of {self.expected} bytes (in "
                               f"convolutional layer {done + 1} of {len(self.convs)}); the cfg does not match "
                               f"these weights")
        if len(self.data) > self.expected:
            raise ConvertError(f"{self.name}: {len(self.data) - self.expected} bytes left over after "
                               f"{len(self.convs)} convolutional layers; the cfg does not match these weights")
        self.offset = self.header

    def take(self, count):
        array = np.frombuffer(self.data, "<f4", count, self.offset).astype(np.float64)
        self.offset += 4 * count
        return array

    def conv(self, layer, bn_denominator):
        """Weights [filters, in/groups, k, k] and biases [filters] of one conv, batch norm folded in (in float64)."""
        f = layer.filters
        biases = self.take(f)
        if layer.batch_normalize:
            scales, mean, var = self.take(f), self.take(f), self.take(f)
        weights = self.take(layer.weight_count).reshape(f, layer.in_channels // layer.groups, layer.size, layer.size)
        if layer.batch_normalize:
            factor = scales / bn_denominator(var)
            weights = weights * factor[:, None, None, None]
            biases = biases - mean * factor
        return weights.astype(np.float32), biases.astype(np.float32)


# ---------------------------------------------------------------------------------------------------------------------
# graph

def build_model(net, layers, weights, bn_denominator):
    import openvino as ov
    import openvino.opset16 as ops

    channels = net.int("channels", 3)
    images = ops.parameter(ov.PartialShape([1, channels, -1, -1]), np.float32, name="images")
    images.output(0).get_tensor().set_names({"images"})

    def const(array):
        return ops.constant(np.ascontiguousarray(array, dtype=np.float32))

    outputs = []  # per layer: its openvino Output
    heads = []  # (layer, Output of the layer that feeds it)
    parameters = 0
    for layer in layers:
        s = layer.section
        source = outputs[-1] if outputs else images.output(0)
        name = f"{s.kind}_{layer.index}"
        if layer.kind == "convolutional":
            w, b = weights.conv(layer, bn_denominator)
            parameters += w.size + b.size
            p = layer.padding
            geometry = dict(strides=[layer.conv_stride] * 2, pads_begin=[p, p], pads_end=[p, p], dilations=[1, 1])
            if layer.groups == 1:
                node = ops.convolution(source, const(w), **geometry, name=name)
            else:
                g = layer.groups
                w = w.reshape(g, layer.filters // g, *w.shape[1:])
                node = ops.group_convolution(source, const(w), **geometry, name=name)
            node = ops.add(node, const(b.reshape(1, -1, 1, 1)), name=f"{name}_bias")
            act = layer.activation
            if act == "leaky":
                node = ops.prelu(node, const(np.array([0.1])), name=f"{name}_leaky")
            elif act == "relu":
                node = ops.relu(node, name=f"{name}_relu")
            elif act == "logistic":
                node = ops.sigmoid(node, name=f"{name}_logistic")
            elif act == "mish":
                node = ops.mish(node, name=f"{name}_mish")
            elif act == "swish":
                node = ops.swish(node, name=f"{name}_swish")
            out = node.output(0)
        elif layer.kind == "maxpool":
            # darknet: output = (w + padding - size) / stride + 1 with the input offset by -padding/2, i.e.
            # padding/2 before and the rest after; padded cells never win (OpenVINO's MaxPool ignores them too)
            begin = layer.padding // 2
            end = layer.padding - begin
            node = ops.max_pool(source, strides=[layer.pool_stride] * 2, dilations=[1, 1], pads_begin=[begin] * 2,
                                pads_end=[end] * 2, kernel_shape=[layer.size] * 2, rounding_type="floor",
                                auto_pad="explicit", name=name)
            out = node.output(0)
        elif layer.kind == "route":
            parts = []
            for i in layer.inputs:
                part = outputs[i]
                if layer.groups > 1:
                    part = ops.split(part, np.int64(1), layer.groups, name=f"{name}_split_{i}").output(layer.group_id)
                parts.append(part)
            out = parts[0] if len(parts) == 1 else ops.concat(parts, axis=1, name=name).output(0)
        elif layer.kind == "upsample":
            f = float(layer.factor)
            node = ops.interpolate(source, np.array([f, f], np.float32), mode="nearest", shape_calculation_mode="scales",
                                   coordinate_transformation_mode="asymmetric", nearest_mode="floor",
                                   axes=np.array([2, 3], np.int64), name=name)
            if layer.scale != 1.0:
                node = ops.multiply(node, const(np.array([layer.scale])), name=f"{name}_scale")
            out = node.output(0)
        elif layer.kind == "yolo":
            heads.append((layer, source))
            out = source  # never read: references to a [yolo] layer are rejected in describe_layers
        outputs.append(out)

    if not heads:
        raise ConvertError(f"{layers[0].section.cfg_name}: no [yolo] layer, so the model would have no output")
    results = []
    for number, (layer, out) in enumerate(heads):
        result = ops.result(out, name=f"yolo_head_{number}")
        result.output(0).get_tensor().set_names({f"yolo_head_{number}"})
        results.append(result)
    model = ov.Model(results, [images], "darknet")
    return model, heads, parameters


def write_sidecar(path, net, heads):
    sidecar = {
        "input": "images",
        "input_layout": "NCHW, RGB, f32 0..1",
        "cfg_size": [net.int("width", 416), net.int("height", 416)],
        "heads": [],
    }
    for number, (layer, _) in enumerate(heads):
        stride = layer.stride
        sidecar["heads"].append({
            "output": f"yolo_head_{number}",
            "stride": int(stride) if stride.denominator == 1 else float(stride),
            "anchors": [[float(w) if w != int(w) else int(w), float(h) if h != int(h) else int(h)]
                        for w, h in layer.anchors],
            "scale_x_y": layer.scale_x_y,
            "classes": layer.classes,
        })
    # one head a line: small enough to read at a glance
    text = "{\n" + "".join(f'  "{key}": {json.dumps(value)},\n' for key, value in sidecar.items() if key != "heads")
    text += '  "heads": [\n' + ",\n".join("    " + json.dumps(head) for head in sidecar["heads"]) + "\n  ]\n}\n"
    json.loads(text)
    with open(path + ".part", "w") as f:
        f.write(text)
    os.replace(path + ".part", path)


def main():
    parser = argparse.ArgumentParser(description="Convert a darknet cfg + weights into an OpenVINO IR")
    parser.add_argument("--cfg", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--output", required=True, help="the .xml to write (the .bin and .heads.json go next to it)")
    parser.add_argument("--bn-eps", choices=sorted(BN_DENOMINATORS), default="darknet",
                        help="batch-norm denominator convention (default: darknet, sqrt(var) + 1e-6)")
    args = parser.parse_args()
    if not args.output.endswith(".xml"):
        raise ConvertError(f"--output {args.output}: must end in .xml")

    net, sections = parse_cfg(args.cfg)
    layers = describe_layers(net, sections)
    for layer in layers:  # options nobody read are typos or features this converter would silently ignore
        unused = set(layer.section.options) - layer.section.used - IGNORED_OPTIONS.get(layer.kind, set())
        if unused:
            raise ConvertError(f"{layer.section.where()} option '{sorted(unused)[0]}' is not supported")
    weights = Weights(args.weights, layers)
    model, heads, parameters = build_model(net, layers, weights, BN_DENOMINATORS[args.bn_eps])
    assert weights.offset == weights.expected == len(weights.data)

    import openvino as ov
    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    base = args.output[:-len(".xml")]
    # write under temporary names and rename, so that a reader never sees a half-written pair
    ov.save_model(model, base + ".part.xml", compress_to_fp16=False)
    os.replace(base + ".part.bin", base + ".bin")
    os.replace(base + ".part.xml", base + ".xml")
    write_sidecar(base + ".heads.json", net, heads)
    convs = len(weights.convs)
    print(f"{PROG}: {os.path.basename(args.output)}: {len(layers)} layers ({convs} convolutional, {len(heads)} yolo "
          f"heads), {parameters} parameters, {len(weights.data)} of {len(weights.data)} weight bytes consumed "
          f"(darknet v{'.'.join(map(str, weights.version))})")


# Options that do not affect inference (training, augmentation, loss and NMS settings) and are therefore ignored.
IGNORED_OPTIONS = {
    "convolutional": {"stopbackward", "train_only_bn", "learning_rate"},
    "maxpool": set(),
    "route": {"stopbackward"},
    "upsample": set(),
    "yolo": {"jitter", "ignore_thresh", "truth_thresh", "random", "resize", "nms_kind", "beta_nms", "iou_loss",
             "iou_normalizer", "cls_normalizer", "obj_normalizer", "iou_thresh", "max_delta", "counters_per_class",
             "label_smooth_eps", "focal_loss", "objectness_smooth", "uc_normalizer", "max", "track_history_size",
             "sim_thresh", "dets_for_track", "dets_for_show", "track_ciou_norm", "embedding_layer", "map",
             "random_placing", "delta_normalizer"},
}

if __name__ == "__main__":
    try:
        main()
    except ConvertError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        sys.exit(1)
    except OSError as error:
        print(f"{PROG}: {error.filename or ''}: {error.strerror}", file=sys.stderr)
        sys.exit(1)
