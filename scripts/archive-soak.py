#!/usr/bin/env python3
"""Archive soak and catch-up (not a test; `make archive-soak`): the 32-stream sample (release build) publishing to a
local noida-db for MINUTES (default 20), with three archives of the same topics:

  A  SQLite, running the whole time: its RSS every 30 s (first 5 minutes against the last 5) and the live message rate;
  B  PostgreSQL, stopped (SIGTERM) after 2 minutes and started again 10 minutes later: its catch-up rate (messages/s
     while it has lag) and the time from its restart to lag 0;
  C  SQLite, started once the pipeline has stopped, reading everything the topics hold: catch-up rate and time.

Each catch-up rate is compared with the live rate (A's messages over the run). Prints the figures and writes them to
var/archive-soak/result.json. Uses ports 19092 (broker), 19432 (PostgreSQL), 19465-19467 (archives), 9464 off.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build/release/realtime-analytics")
OUT = os.path.join(ROOT, "var/archive-soak")
STATUS = re.compile(r"^archive: (\d+) messages in ([\d.]+) s .*?lag (\w+),")


def config(name, url, port, receive_max_bytes):
    text = open(os.path.join(ROOT, "config/sample-pipeline.yaml")).read()
    # noida-db answers a fetch with the whole backlog whatever fetch.max.bytes says (441 MB after a 10-minute
    # outage of the sample, with previews): the consumer's receive limit must hold it.
    text = text.replace("  frame_quality: 75", f'  frame_quality: 75\n  properties: {{receive.message.max.bytes: "{receive_max_bytes}"}}')
    text = text.replace("url: sqlite:../var/archive.sqlite", f'url: "{url}"\n  status_interval_s: 5')
    text = text.replace("  port: 9465", f"  port: {port}")
    text = text.replace("metrics:\n  enabled: true", "metrics:\n  enabled: false")
    text = text.replace("  jsonl:\n    enabled: true", "  jsonl:\n    enabled: false")
    path = os.path.join(ROOT, "config", f".archive-soak-{name}.yaml")  # beside the sample: its relative paths hold
    open(path, "w").write(text)
    return path


def start_archive(name, path):
    log = open(os.path.join(OUT, f"archive-{name}.log"), "a")
    return subprocess.Popen([BIN, "archive", "--config", path], stdout=subprocess.DEVNULL, stderr=log)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def status_lines(name):
    result = []
    for line in open(os.path.join(OUT, f"archive-{name}.log")):
        match = STATUS.match(line)
        if match:
            result.append((int(match.group(1)), float(match.group(2)), match.group(3)))
    return result


def catch_up(name, since_line):
    """From status line `since_line` on: the messages and seconds until the first line with lag 0, the peak rate."""
    lines = status_lines(name)[since_line:]
    messages = seconds = 0
    peak = 0.0
    for count, interval, lag in lines:
        messages += count
        seconds += interval
        peak = max(peak, count / interval)
        if lag == "0" and messages > 0:
            return {"messages": messages, "seconds_to_lag_0": round(seconds, 1),
                    "mean_rate": round(messages / seconds, 1), "peak_rate": round(peak, 1)}
    return {"messages": messages, "seconds": seconds, "reached_lag_0": False}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--stop-after", type=float, default=2, help="minutes before B stops")
    parser.add_argument("--outage", type=float, default=10, help="minutes B stays stopped")
    parser.add_argument("--receive-max-bytes", type=int, default=2000000000)
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    for name in ["a", "b", "c"]:
        open(os.path.join(OUT, f"archive-{name}.log"), "w").close()
    for name in ["a.sqlite", "c.sqlite"]:
        for suffix in ["", "-wal", "-shm"]:
            if os.path.exists(os.path.join(OUT, name + suffix)):
                os.remove(os.path.join(OUT, name + suffix))
    subprocess.run([os.path.join(ROOT, "scripts/broker.sh"), "stop", "19092"], capture_output=True)
    subprocess.run([os.path.join(ROOT, "scripts/broker.sh"), "start", "19092", "noida"], check=True)
    subprocess.run([os.path.join(ROOT, "scripts/postgres.sh"), "start", "19432"], check=True)
    subprocess.run(["python3", os.path.join(ROOT, "scripts/kafka-topics.py"), "create", "--bootstrap",
                    "127.0.0.1:19092", "--retention-ms", str(int((args.minutes + 30) * 60000)),
                    "analytics.events", "analytics.zone-events"], check=True)
    limit = args.receive_max_bytes
    configs = {"a": config("a", f"sqlite:{OUT}/a.sqlite", 19465, limit),
               "b": config("b", "postgres://postgres@127.0.0.1:19432/archive", 19466, limit),
               "c": config("c", f"sqlite:{OUT}/c.sqlite", 19467, limit)}
    processes = []
    try:
        pipeline = subprocess.Popen([BIN, "--config", configs["a"]], stdout=subprocess.DEVNULL,
                                    stderr=open(os.path.join(OUT, "pipeline.log"), "w"))
        processes.append(pipeline)
        a = start_archive("a", configs["a"])
        b = start_archive("b", configs["b"])
        processes += [a, b]
        started = time.time()
        rss = []
        b_stopped = b_restarted = None
        b_lines_at_restart = 0
        while time.time() - started < args.minutes * 60:
            time.sleep(30)
            minute = (time.time() - started) / 60
            rss.append((round(minute, 1), round(rss_mb(a.pid), 1)))
            print(f"archive-soak: {minute:.1f} min, archive A RSS {rss[-1][1]} MB", flush=True)
            if b_stopped is None and minute >= args.stop_after:
                b.send_signal(signal.SIGTERM)
                b.wait(30)
                b_stopped = time.time()
                print("archive-soak: archive B (PostgreSQL) stopped", flush=True)
            if b_stopped and b_restarted is None and time.time() - b_stopped >= args.outage * 60:
                b_lines_at_restart = len(status_lines("b"))
                b = start_archive("b", configs["b"])
                processes.append(b)
                b_restarted = time.time()
                print("archive-soak: archive B restarted", flush=True)
        pipeline.send_signal(signal.SIGTERM)
        pipeline.wait(60)
        time.sleep(15)
        live = status_lines("a")
        live_messages = sum(count for count, _, _ in live)
        live_seconds = sum(interval for _, interval, _ in live)
        live_rate = live_messages / live_seconds if live_seconds else 0
        c = start_archive("c", configs["c"])
        processes.append(c)
        deadline = time.time() + 600
        while time.time() < deadline:
            time.sleep(5)
            lines = status_lines("c")
            if any(lag == "0" and count == 0 for count, _, lag in lines[1:]) and sum(x[0] for x in lines) > 0:
                break
        b_result = catch_up("b", b_lines_at_restart) if b_restarted else None
        c_result = catch_up("c", 0)
        window = max(1, min(10, len(rss) // 4))
        result = {
            "minutes": args.minutes,
            "live_rate_messages_per_s": round(live_rate, 1),
            "archive_a_rss_mb": {"first": [r for _, r in rss[:window]], "last": [r for _, r in rss[-window:]],
                                 "samples": rss},
            "catch_up_postgres_after_outage": b_result,
            "catch_up_sqlite_whole_topic": c_result,
        }
        for key, value in [("postgres", b_result), ("sqlite", c_result)]:
            if value and "mean_rate" in value and live_rate:
                result[f"catch_up_{key}_x_live"] = round(value["mean_rate"] / live_rate, 1)
        json.dump(result, open(os.path.join(OUT, "result.json"), "w"), indent=1)
        print(json.dumps({k: v for k, v in result.items() if k != "archive_a_rss_mb"}, indent=1))
        print("archive A RSS (MB), first:", result["archive_a_rss_mb"]["first"], "last:",
              result["archive_a_rss_mb"]["last"])
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
        subprocess.run([os.path.join(ROOT, "scripts/broker.sh"), "stop", "19092"], capture_output=True)
        subprocess.run([os.path.join(ROOT, "scripts/postgres.sh"), "stop", "19432"], capture_output=True)
        for name in configs.values():
            os.remove(name)


if __name__ == "__main__":
    sys.exit(main())
