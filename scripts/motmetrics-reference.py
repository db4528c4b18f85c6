#!/usr/bin/env python3
"""Reference MOT metrics from py-motmetrics 1.4.0 (PyPI), for tests: scores TRACKER.txt against GT.txt
(MOTChallenge format, IoU >= 0.5) and prints the metrics as JSON.

Usage: motmetrics-reference.py GT.txt TRACKER.txt
       motmetrics-reference.py --data-dir   (prints the folder of the TUD sequences shipped inside the wheel)
"""
import json
import os
import sys

import numpy as np

# motmetrics 1.4.0 calls np.asfarray, which NumPy 2 removed; give it the same meaning.
if not hasattr(np, "asfarray"):
    np.asfarray = lambda a, dtype=float: np.asarray(a, dtype=dtype)

import motmetrics as mm  # noqa: E402

METRICS = ["num_frames", "num_unique_objects", "num_objects", "num_predictions", "num_matches", "num_switches",
           "num_false_positives", "num_misses", "num_fragmentations", "mostly_tracked", "partially_tracked",
           "mostly_lost", "mota", "motp", "recall", "precision", "idf1", "idp", "idr", "idtp", "idfp", "idfn"]


def main() -> int:
    if sys.argv[1:] == ["--data-dir"]:
        print(os.path.join(os.path.dirname(mm.__file__), "data"))
        return 0
    gt = mm.io.loadtxt(sys.argv[1])
    test = mm.io.loadtxt(sys.argv[2])
    accumulator = mm.utils.compare_to_groundtruth(gt, test, "iou", distth=0.5)
    summary = mm.metrics.create().compute(accumulator, metrics=METRICS, name="sequence")
    json.dump({name: float(summary[name].iloc[0]) for name in METRICS}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
