#!/usr/bin/env python3
"""An independent check of realtime-analytics alerts (shares no code with the product).

Reads the frames and events topics, computes from them when each `occupancy` and `crossings` rule of the
configuration's `alerts.rules` should fire and resolve (occupancy from the frames' per-zone counts; crossings from
the events topic's line_cross events, counted over the window at each of the stream's frames), and compares the
notifications with what receivers got:

  --received FILE        a receiver's record (scripts/alert-receiver.py --record): every expected notification
                         accepted, none other; with --exactly-once each exactly once, after --refused refusals, all
                         signatures valid
  --mqtt FILE            mosquitto_sub -v output: the same ids
  --alerts-topic TOPIC   the alerts topic: the same ids
  --latency FILE         a receiver's record whose delivery latency (receipt − capture) is printed

Every notification read must conform to docs/alert.schema.json. A notification matches an expected one with the same id, or failing that with the same instance and state and a
start (and end) within one look's interval of the stream's frames. Prints a summary; exits 1 when something differs.
"""
import argparse
import json
import statistics
import sys
import time

import jsonschema
import yaml
import topic_reader


def read_topic(bootstrap, topic):
    """Every message of `topic` in each partition's order."""
    return [value for _, _, value in topic_reader.read_topic(bootstrap, topic, "alerts-check")]


def matches(pattern_list, stream):
    import fnmatch
    return not pattern_list or any(fnmatch.fnmatchcase(stream, p) for p in pattern_list)


def count(classes_counts, classes):
    if not classes:
        return sum(classes_counts.values())
    return sum(classes_counts.get(c, 0) for c in classes)


class Instance:
    """inactive → pending → firing → resolved, as documented in docs/alerts.md."""

    def __init__(self, name, for_ms):
        self.name, self.for_ms = name, for_ms
        self.pending_since = None
        self.firing_since = None

    def step(self, holds, at_ms, out):
        if holds:
            if self.firing_since is not None:
                return
            if self.pending_since is None:
                self.pending_since = at_ms
            if at_ms - self.pending_since >= self.for_ms:
                self.firing_since = at_ms
                out.append({"id": f"{self.name}/{at_ms}/firing", "instance": self.name, "state": "firing",
                            "started_at_ms": at_ms, "at_ms": at_ms})
        else:
            if self.firing_since is not None:
                out.append({"id": f"{self.name}/{self.firing_since}/resolved", "instance": self.name,
                            "state": "resolved", "started_at_ms": self.firing_since, "ended_at_ms": at_ms,
                            "at_ms": at_ms})
            self.pending_since = None
            self.firing_since = None


def expected_notifications(rules, frames, events):
    """frames: per stream, its frame messages in order; events: per stream, its line_cross events."""
    out = []
    looks = {}
    for stream, stream_frames in frames.items():
        times = [f["timestamp_ms"] for f in stream_frames]
        looks[stream] = times
        for rule in rules:
            if not matches(rule.get("streams", []), stream):
                continue
            for_ms = int(float(rule.get("for_s", 0)) * 1000)
            classes = rule.get("classes", [])
            minimum = int(rule.get("min_count", 1))
            if rule["type"] == "occupancy":
                zone = rule["zone"]
                instance = Instance(f"{rule['name']}/{stream}/{zone}", for_ms)
                for frame in stream_frames:
                    counts = (frame.get("zones") or {}).get(zone)
                    if counts is None:
                        continue
                    instance.step(count(counts, classes) >= minimum, frame["timestamp_ms"], out)
            elif rule["type"] == "crossings":
                line = rule["line"]
                window_ms = int(float(rule["window_s"]) * 1000)
                direction = rule.get("direction", "any")
                crossings = [e["timestamp_ms"] for e in events.get(stream, [])
                             if e.get("line") == line
                             and (direction == "any" or e.get("direction") == direction)
                             and (not classes or e.get("class_name") in classes)]
                instance = Instance(f"{rule['name']}/{stream}/{line}", for_ms)
                seen_first = None
                for frame in stream_frames:
                    if line not in (frame.get("lines") or {}):
                        continue
                    at = frame["timestamp_ms"]
                    if seen_first is None:
                        seen_first = at  # crossings before the first frame read are not counted
                    n = sum(1 for t in crossings if at - window_ms < t <= at and t > seen_first)
                    instance.step(n >= minimum, at, out)
            else:
                raise SystemExit(f"alerts-check: rule {rule['name']} is a {rule['type']} rule; this reader computes "
                                 "occupancy and crossings rules only")
    return out, looks


def look_interval(looks, stream, at_ms):
    """The longest gap between two of the stream's consecutive frames around `at_ms`."""
    times = looks.get(stream, [])
    gaps = [b - a for a, b in zip(times, times[1:]) if a - 10000 <= at_ms <= b + 10000]
    return max(gaps) if gaps else 3000


def compare(expected, received_ids, bodies, looks, label, lines):
    """Every expected notification received, nothing else. Returns True when so."""
    by_id = {n["id"]: n for n in expected}
    exact = set(received_ids) & set(by_id)
    missing = [by_id[i] for i in by_id if i not in exact]
    extra = [i for i in received_ids if i not in exact]
    tolerated = 0
    for notification in list(missing):
        for candidate in list(extra):
            body = bodies.get(candidate)
            if not body or body.get("instance") != notification["instance"] or body.get("state") != notification["state"]:
                continue
            stream = body.get("stream")
            interval = look_interval(looks, stream, notification["at_ms"])
            if abs(body["started_at_ms"] - notification["started_at_ms"]) <= interval and \
                    abs(body.get("ended_at_ms", 0) - notification.get("ended_at_ms", 0)) <= interval:
                missing.remove(notification)
                extra.remove(candidate)
                tolerated += 1
                break
    ok = not missing and not extra
    lines.append(f"{label}: {len(exact)} of {len(by_id)} expected ids exactly, {tolerated} within one look's interval, "
                 f"{len(missing)} missing, {len(extra)} not expected")
    for n in missing[:10]:
        lines.append(f"  missing: {n['id']}")
    for i in extra[:10]:
        lines.append(f"  not expected: {i}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--received", action="append", default=[])
    parser.add_argument("--exactly-once", action="store_true")
    parser.add_argument("--refused", type=int, default=0)
    parser.add_argument("--mqtt")
    parser.add_argument("--alerts-topic")
    parser.add_argument("--latency")
    parser.add_argument("--summary", help="write the expected notifications and figures here as JSON")
    args = parser.parse_args()

    config = yaml.safe_load(open(args.config))
    rules = config["alerts"]["rules"]
    frames_topic = config["kafka"]["topic"]
    events_topic = config["kafka"]["events_topic"]
    frames, events = {}, {}
    for value in read_topic(args.bootstrap, frames_topic):
        frame = json.loads(value)
        frames.setdefault(frame["stream"], []).append(frame)
    for value in read_topic(args.bootstrap, events_topic):
        event = json.loads(value)
        if event.get("event") == "line_cross":
            events.setdefault(event["stream"], []).append(event)
    expected, looks = expected_notifications(rules, frames, events)
    schema = json.load(open(__file__.rsplit("/", 2)[0] + "/docs/alert.schema.json"))
    validator = jsonschema.Draft202012Validator(schema)
    invalid = []

    def check_schema(body, where):
        for error in validator.iter_errors(body):
            invalid.append(f"{where}: {body.get('id')}: {error.message}")

    lines = [f"frames: {sum(len(f) for f in frames.values())} of {len(frames)} streams; "
             f"line crossings: {sum(len(e) for e in events.values())}; expected notifications: {len(expected)} "
             f"({sum(1 for n in expected if n['state'] == 'firing')} firing, "
             f"{sum(1 for n in expected if n['state'] == 'resolved')} resolved)"]
    ok = len(expected) > 0
    if not expected:
        lines.append("no notification expected: the rules never hold on these frames")

    for path in args.received:
        records = [json.loads(line) for line in open(path) if line.strip()]
        accepted = [r for r in records if r["accepted"]]
        ids = [r["id"] for r in accepted]
        bodies = {r["id"]: r["body"] for r in records}
        for record in records:
            check_schema(record["body"], path)
        ok &= compare(expected, set(ids), bodies, looks, path, lines)
        duplicates = len(ids) - len(set(ids))
        bad_signatures = sum(1 for r in records if r["signature_ok"] is False)
        attempts = {}
        for r in records:
            attempts[r["id"]] = attempts.get(r["id"], 0) + 1
        lines.append(f"  {len(records)} attempts, {len(accepted)} accepted, {duplicates} duplicates (same id), "
                     f"{bad_signatures} bad signatures")
        ok &= bad_signatures == 0
        if args.exactly_once:
            wrong = {i: n for i, n in attempts.items() if n != args.refused + 1}
            if duplicates or wrong:
                lines.append(f"  not exactly once after {args.refused} refusals: {dict(list(wrong.items())[:10])}")
                ok = False
            args.exactly_once = False  # only the first record is the never-killed process's

    if args.mqtt:
        ids, bodies = [], {}
        for line in open(args.mqtt):
            topic, _, payload = line.strip().partition(" ")
            if not payload:
                continue
            body = json.loads(payload)
            check_schema(body, "MQTT")
            ids.append(body["id"])
            bodies[body["id"]] = body
        ok &= compare(expected, set(ids), bodies, looks, f"MQTT ({args.mqtt})", lines)
        lines.append(f"  {len(ids)} messages, {len(ids) - len(set(ids))} repeated")

    if args.alerts_topic:
        bodies = {}
        values = read_topic(args.bootstrap, args.alerts_topic)
        for value in values:
            body = json.loads(value)
            check_schema(body, args.alerts_topic)
            bodies[body["id"]] = body
        ok &= compare(expected, set(bodies), bodies, looks, f"alerts topic {args.alerts_topic}", lines)
        lines.append(f"  {len(values)} messages, {len(values) - len(bodies)} repeated")

    lines.append(f"docs/alert.schema.json: {len(invalid)} notifications do not conform")
    lines.extend("  " + problem for problem in invalid[:10])
    ok &= not invalid

    figures = {}
    if args.latency:
        records = [json.loads(line) for line in open(args.latency) if line.strip()]
        latencies = sorted((r["received_ms"] - r["body"]["at_ms"]) / 1000 for r in records if r["accepted"])
        if latencies:
            p50 = statistics.median(latencies)
            p99 = latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))]
            figures = {"latency_p50_s": p50, "latency_p99_s": p99, "latency_max_s": latencies[-1], "n": len(latencies)}
            lines.append(f"latency capture → webhook receipt over {len(latencies)} notifications: p50 {p50:.3f} s, "
                         f"p99 {p99:.3f} s, max {latencies[-1]:.3f} s")
    if args.summary:
        json.dump({"expected": expected, "figures": figures}, open(args.summary, "w"))
    print("\n".join(lines))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
