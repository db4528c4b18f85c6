#!/usr/bin/env python3
"""zone-counts-reference: line crossings and zone entries of a MOTChallenge track file, by the rules the pipeline
documents, written independently of its Swift code (to check it against a full-rate reference analysis).

    scripts/zone-counts-reference.py --tracks var/fidelity/vtest-gt.txt --width 640 --height 480 \
        --line 0.5,0.75,0.5,0.25 --zone 0.30,0.30,0.80,0.28,0.85,0.62,0.30,0.68 [--hysteresis 0.01]

A track's position is the bottom centre of its box, in fractions of the frame. A crossing is counted when the path
between the track's last two positions clearly (more than --hysteresis) on either side of the line crosses the line's
segment; left_to_right means from the left-hand to the right-hand side of someone walking the line from its first
point to its second on the picture. A zone entry is counted when a track is inside the polygon, more than
--hysteresis from its edges, and was not already in it; a zone exit when a track in it is outside, more than
--hysteresis from its edges, or when its track ends inside before the file's last frame (the object is gone). Prints
{"left_to_right": N, "right_to_left": N, "zone_entries": N, "zone_exits": N, "tracks": N} as JSON.
"""
import argparse
import collections
import json


def side(ax, ay, bx, by, px, py):
    """Signed distance of p from the line a->b (positive on the right as the picture is drawn, y down)."""
    length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
    return ((bx - ax) * (py - ay) - (by - ay) * (px - ax)) / length


def segments_cross(p, q, a, b):
    """Whether segment p-q meets segment a-b (parametric intersection, both parameters within 0..1)."""
    rx, ry, sx, sy = q[0] - p[0], q[1] - p[1], b[0] - a[0], b[1] - a[1]
    denominator = rx * sy - ry * sx
    if abs(denominator) < 1e-15:
        return False
    apx, apy = a[0] - p[0], a[1] - p[1]
    t = (apx * sy - apy * sx) / denominator
    u = (apx * ry - apy * rx) / denominator
    return 0 <= t <= 1 and 0 <= u <= 1


def inside(polygon, x, y):
    result = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        (xi, yi), (xj, yj) = polygon[i], polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            result = not result
        j = i
    return result


def edge_distance(polygon, x, y):
    best = float("inf")
    for i in range(len(polygon)):
        (ax, ay), (bx, by) = polygon[i], polygon[(i + 1) % len(polygon)]
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        best = min(best, ((x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2) ** 0.5)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", required=True)
    parser.add_argument("--width", type=float, required=True)
    parser.add_argument("--height", type=float, required=True)
    parser.add_argument("--line", required=True, help="x1,y1,x2,y2 in fractions of the frame")
    parser.add_argument("--zone", required=True, help="x1,y1,x2,y2,… corners in fractions of the frame")
    parser.add_argument("--hysteresis", type=float, default=0.01)
    args = parser.parse_args()
    ax, ay, bx, by = (float(v) for v in args.line.split(","))
    corners = [float(v) for v in args.zone.split(",")]
    polygon = list(zip(corners[0::2], corners[1::2]))

    paths = collections.defaultdict(list)
    with open(args.tracks) as f:
        for row in f:
            fields = row.strip().split(",")
            if len(fields) < 6:
                continue
            frame, track = int(float(fields[0])), int(float(fields[1]))
            x, y, w, h = (float(v) for v in fields[2:6])
            x -= 1  # MOTChallenge boxes are 1-based
            y -= 1
            paths[track].append((frame, (x + w / 2) / args.width, (y + h) / args.height))
    counts = {"left_to_right": 0, "right_to_left": 0, "zone_entries": 0, "zone_exits": 0, "tracks": len(paths)}
    last_frame = max((frame for points in paths.values() for frame, _, _ in points), default=0)
    for points in paths.values():
        points.sort()
        last = None  # (point, side)
        in_zone = False
        for _, x, y in points:
            distance = side(ax, ay, bx, by, x, y)
            if abs(distance) >= args.hysteresis:
                current = 1 if distance > 0 else -1
                if last is not None and last[1] != current and segments_cross(last[0], (x, y), (ax, ay), (bx, by)):
                    counts["left_to_right" if current > 0 else "right_to_left"] += 1
                last = ((x, y), current)
            clear = edge_distance(polygon, x, y) >= args.hysteresis
            now_inside = inside(polygon, x, y)
            if not in_zone and now_inside and clear:
                in_zone = True
                counts["zone_entries"] += 1
            elif in_zone and not now_inside and clear:
                in_zone = False
                counts["zone_exits"] += 1
        if in_zone and points[-1][0] < last_frame:
            counts["zone_exits"] += 1
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
