#!/usr/bin/env python3
"""Independent check of the analytics topic's messages, for tests.

Reads kcat's JSON envelopes (`kcat -C -J ...`, one per line) on stdin, validates every payload against the JSON
Schema given with --schema, checks key == stream, and decodes each frame_jpeg's header to report its size.
Every JPEG is also fully decoded by ffprobe (FFmpeg's MJPEG decoder over the concatenated images).
Prints one JSON summary: {"messages": N, "invalid": [...], "key_mismatch": N, "frame_ids": {stream: [...]},
"jpeg_sizes": {"WxH": count}, "bad_jpeg": N, "jpeg_decoded": N, "jpeg_decode_errors": "..."}.
"""
import argparse
import base64
import json
import subprocess
import sys

import jsonschema


def jpeg_size(data: bytes):
    """Width and height from a JPEG's SOFn marker (parsed here, independently of the producer's encoder)."""
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            height = int.from_bytes(data[i + 5:i + 7], "big")
            width = int.from_bytes(data[i + 7:i + 9], "big")
            return width, height
        i += 2 + length
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schema", required=True)
    args = parser.parse_args()
    with open(args.schema) as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    summary = {"messages": 0, "invalid": [], "key_mismatch": 0, "frame_ids": {}, "jpeg_sizes": {}, "bad_jpeg": 0,
               "jpeg_decoded": 0, "jpeg_decode_errors": ""}
    jpegs = []
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        envelope = json.loads(line)
        summary["messages"] += 1
        try:
            payload = json.loads(envelope["payload"])
        except (TypeError, ValueError) as error:
            summary["invalid"].append(f"offset {envelope.get('offset')}: not JSON: {error}")
            continue
        errors = [e.message for e in validator.iter_errors(payload)]
        if errors:
            summary["invalid"].append(f"offset {envelope.get('offset')}: {errors[0]}")
            continue
        if envelope.get("key") != payload["stream"]:
            summary["key_mismatch"] += 1
        summary["frame_ids"].setdefault(payload["stream"], []).append(payload["frame_id"])
        if "frame_jpeg" in payload:
            data = base64.b64decode(payload["frame_jpeg"].split(",", 1)[1])
            jpegs.append(data)
            size = jpeg_size(data)
            if size is None:
                summary["bad_jpeg"] += 1
            else:
                key = f"{size[0]}x{size[1]}"
                summary["jpeg_sizes"][key] = summary["jpeg_sizes"].get(key, 0) + 1
    if jpegs:
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-f", "mjpeg", "-count_frames", "-show_entries", "stream=nb_read_frames",
             "-of", "csv=p=0", "-i", "pipe:"],
            input=b"".join(jpegs), capture_output=True, timeout=120)
        summary["jpeg_decoded"] = int(probe.stdout.decode().strip() or 0)
        summary["jpeg_decode_errors"] = probe.stderr.decode()[:500]
    json.dump(summary, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
