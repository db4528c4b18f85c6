#!/usr/bin/env python3
"""Checks an archive against the topics it was written from, as an independent reader (confluent-kafka, Python's
sqlite3, Debian's psql): nothing here shares code with the archive.

Reads both topics from their beginning to their ends (scripts/topic_reader.py), counts what the archive should hold, waits until the
archive's stored offsets reach those ends, then compares key for key:
  - events per minute, stream, zone/line, event, direction and class (crossings among them) with event_minutes;
  - the distinct (stream, run_id, track_id) of the frames' tracks, and each one's number of looks, with tracks;
  - frames per minute and stream with stream_minutes; the events topic's messages with the events table.
Prints a JSON summary; exit 0 when everything matches, 1 when something differs or the archive did not catch up.

Usage: archive-check.py --bootstrap HOST:PORT --frames-topic T --events-topic E (--sqlite PATH | --postgres URL)
                        [--wait-seconds 120]
"""
import argparse
import json
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import topic_reader


def read_topic(bootstrap, topic):
    """Every message of `topic` and, per partition, the offset after the last one."""
    messages, ends = [], {}
    for partition, offset, value in topic_reader.read_topic(bootstrap, topic, "archive-check"):
        messages.append(value)
        ends[partition] = max(ends.get(partition, 0), offset + 1)
    return messages, ends


def class_name(name, class_id):
    if name:
        return name
    return f"class {class_id}" if class_id is not None else "unknown"


def minute(ms):
    return ms - ms % 60000


def valid_frame(frame):
    """The frame message's required fields with their types (docs/message.schema.json)."""
    if not isinstance(frame, dict) or not isinstance(frame.get("stream"), str):
        return False
    if not isinstance(frame.get("frame_id"), int) or not isinstance(frame.get("tracks"), list):
        return False
    return all(isinstance(t, dict) and isinstance(t.get("track_id"), int) and isinstance(t.get("class_id"), int)
               and isinstance(t.get("confidence"), (int, float)) and isinstance(t.get("bbox_xyxy"), list)
               and len(t["bbox_xyxy"]) == 4 for t in frame["tracks"])


def expected(frames, events):
    event_minutes, tracks, stream_minutes = Counter(), Counter(), Counter()
    valid_events = 0
    for raw in events:
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(event, dict) or (event.get("zone") or event.get("line")) is None:
            continue  # not an event message: the archive passes over it too
        name = event.get("zone") or event.get("line")
        valid_events += 1
        kind = "line" if event.get("line") is not None and event.get("zone") is None else "zone"
        event_minutes[(minute(event["timestamp_ms"]), event["stream"], kind, name, event["event"],
                       event.get("direction") or "", class_name(event.get("class_name"), event.get("class_id")))] += 1
    for raw in frames:
        try:
            frame = json.loads(raw)
        except ValueError:
            continue
        if not valid_frame(frame):
            continue  # malformed: the archive passes over it too
        stream_minutes[(minute(frame.get("timestamp_ms", 0)), frame["stream"])] += 1
        for track in frame["tracks"]:
            if track["track_id"] >= 0:
                tracks[(frame["stream"], frame.get("run_id") or "", track["track_id"])] += 1
    return event_minutes, tracks, stream_minutes, valid_events


class Archive:
    def __init__(self, sqlite_path, postgres_url):
        self.sqlite_path, self.postgres_url = sqlite_path, postgres_url

    def rows(self, sql):
        if self.sqlite_path:
            connection = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30)
            try:
                return [tuple(row) for row in connection.execute(sql)]
            finally:
                connection.close()
        out = subprocess.run(["psql", self.postgres_url, "-At", "-F", "\t", "-c", sql], check=True,
                             capture_output=True, text=True).stdout
        return [tuple(int(v) if v.lstrip("-").isdigit() else v for v in line.split("\t"))
                for line in out.splitlines() if line]


def compare(name, want, got):
    missing = {k: v for k, v in want.items() if got.get(k) != v}
    extra = {k: v for k, v in got.items() if k not in want}
    return {"expected_keys": len(want), "archived_keys": len(got), "expected_total": sum(want.values()),
            "archived_total": sum(got.values()), "differing": len(missing), "extra": len(extra),
            "examples": [[list(k), want.get(k), got.get(k)] for k in list(missing)[:3] + list(extra)[:3]],
            "equal": not missing and not extra}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--frames-topic", required=True)
    parser.add_argument("--events-topic", required=True)
    parser.add_argument("--sqlite")
    parser.add_argument("--postgres")
    parser.add_argument("--wait-seconds", type=float, default=120)
    args = parser.parse_args()
    if bool(args.sqlite) == bool(args.postgres):
        sys.exit("archive-check: give one of --sqlite PATH or --postgres URL")

    frames, frame_ends = read_topic(args.bootstrap, args.frames_topic)
    events, event_ends = read_topic(args.bootstrap, args.events_topic)
    want_events, want_tracks, want_frames, valid_events = expected(frames, events)
    archive = Archive(args.sqlite, args.postgres)

    ends = {(args.frames_topic, p): o for p, o in frame_ends.items() if o > 0}
    ends.update({(args.events_topic, p): o for p, o in event_ends.items() if o > 0})
    deadline = time.time() + args.wait_seconds
    while True:
        stored = {(t, p): o for t, p, o in archive.rows("SELECT topic, kafka_partition, next_offset FROM archive_offsets")}
        caught_up = all(stored.get(key, 0) >= end for key, end in ends.items())
        if caught_up or time.time() > deadline:
            break
        time.sleep(1)

    got_events = {tuple(r[:7]): r[7] for r in archive.rows(
        "SELECT minute_ms, stream, kind, name, event, direction, class_name, event_count FROM event_minutes")}
    got_tracks = {tuple(r[:3]): r[3] for r in archive.rows("SELECT stream, run_id, track_id, looks FROM tracks")}
    got_frames = {tuple(r[:2]): r[2] for r in archive.rows("SELECT minute_ms, stream, frames FROM stream_minutes")}
    event_rows = archive.rows("SELECT COUNT(*) FROM events")[0][0]
    crossings_want = Counter({k: v for k, v in want_events.items() if k[4] == "line_cross"})
    crossings_got = {k: v for k, v in got_events.items() if k[4] == "line_cross"}
    report = {
        "caught_up": caught_up,
        "frames_messages": len(frames),
        "events_messages": len(events),
        "crossings_per_minute": compare("crossings", crossings_want, crossings_got),
        "events_per_minute": compare("events", want_events, got_events),
        "tracks": compare("tracks", want_tracks, got_tracks),
        "frames_per_minute": compare("frames", want_frames, got_frames),
        "event_rows": {"expected": valid_events, "archived": event_rows, "equal": valid_events == event_rows},
    }
    report["equal"] = caught_up and all(
        report[key]["equal"] for key in ["crossings_per_minute", "events_per_minute", "tracks", "frames_per_minute",
                                         "event_rows"])
    print(json.dumps(report, default=str))
    return 0 if report["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
