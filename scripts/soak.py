#!/usr/bin/env python3
"""Soak report: scrapes the pipeline's /metrics every --interval seconds for --minutes and prints, per sample, RSS,
capture-to-publish latency (p50/p99 from the histogram's buckets over the interval), frames decoded, analysed and not
analysed (the drop policy) and Kafka delivery, and with --broker-pid the broker's CPU (cores) and RSS; at the end, the
first window against the last (5 minutes each, or a third of the run when it is shorter). Writes the samples to
--json. Run by scripts/soak.sh."""
import os
import argparse
import json
import re
import sys
import time
import urllib.request

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eEinfNa]+)$')


def scrape(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    metrics = {}
    for line in text.splitlines():
        match = LINE.match(line.strip())
        if match:
            metrics.setdefault(match.group(1), []).append((match.group(2) or "", float(match.group(3))))
    return metrics


def total(metrics, name, label_filter=""):
    return sum(v for labels, v in metrics.get(name, []) if label_filter in labels)


def buckets(metrics, name):
    result = []
    for labels, value in metrics.get(name + "_bucket", []):
        le = re.search(r'le="([^"]+)"', labels).group(1)
        result.append((float("inf") if le == "+Inf" else float(le), value))
    return sorted(result)


def quantile(before, after, q):
    """Upper bound of the bucket holding quantile q of the observations between two scrapes."""
    deltas = [(le, a - b) for (le, a), (_, b) in zip(after, before)] if before else after
    count = deltas[-1][1] if deltas else 0
    if count <= 0:
        return None
    for le, cumulative in deltas:
        if cumulative >= q * count:
            return le
    return float("inf")


def process_usage(pid):
    """CPU seconds (user + system) and RSS in MB of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{pid}/status") as handle:
        rss_kb = next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))
    return cpu, rss_kb / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:9464/metrics")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=float, default=30)
    parser.add_argument("--json", default="var/soak.json")
    parser.add_argument("--broker-pid", type=int, help="also sample this broker process's CPU and RSS")
    args = parser.parse_args()
    samples, previous = [], None
    started = time.time()
    end = started + args.minutes * 60
    broker = " broker cores  broker MB" if args.broker_pid else ""
    print(f"{'min':>6} {'RSS MB':>7} {'p50 s':>6} {'p99 s':>6} {'kafka p50':>9} {'kafka p99':>9} {'decoded/s':>9} {'analysed/s':>10} {'dropped %':>9} {'kafka written':>13} {'failed':>6} {'dropped':>7}{broker}")
    first = True
    while time.time() < end or first:
        # The first scrape is the baseline the first interval's rates and latencies are measured from.
        if not first:
            time.sleep(args.interval)
        first = False
        try:
            metrics = scrape(args.url)
        except OSError as error:
            print(f"soak: cannot scrape {args.url}: {error}", file=sys.stderr)
            return 1
        now = time.time()
        sample = {
            "t": now - started,
            "rss_mb": total(metrics, "process_resident_memory_bytes") / 2**20,
            "decoded": total(metrics, "pipeline_frames_decoded_total"),
            "analysed": total(metrics, "pipeline_frames_analysed_total"),
            "not_analysed": total(metrics, "pipeline_frames_not_analysed_total"),
            "kafka_written": total(metrics, "pipeline_output_messages", 'outcome="written"'),
            "kafka_failed": total(metrics, "pipeline_output_messages", 'outcome="failed"'),
            "kafka_dropped": total(metrics, "pipeline_output_messages", 'outcome="dropped"'),
            "latency": buckets(metrics, "pipeline_capture_to_publish_seconds"),
            "delivery": buckets(metrics, "pipeline_capture_to_delivery_seconds"),
        }
        if args.broker_pid:
            sample["broker_cpu_s"], sample["broker_rss_mb"] = process_usage(args.broker_pid)
        if previous:
            span = sample["t"] - previous["t"]
            decoded = (sample["decoded"] - previous["decoded"]) / span
            analysed = (sample["analysed"] - previous["analysed"]) / span
            dropped = sample["not_analysed"] - previous["not_analysed"]
            frames = sample["decoded"] - previous["decoded"]
            sample.update(
                decoded_per_s=decoded, analysed_per_s=analysed,
                drop_rate=dropped / frames if frames else 0,
                p50=quantile(previous["latency"], sample["latency"], 0.5),
                p99=quantile(previous["latency"], sample["latency"], 0.99),
                delivery_p50=quantile(previous["delivery"], sample["delivery"], 0.5),
                delivery_p99=quantile(previous["delivery"], sample["delivery"], 0.99))
            if args.broker_pid:
                sample["broker_cores"] = (sample["broker_cpu_s"] - previous["broker_cpu_s"]) / span
            print(f"{sample['t'] / 60:6.1f} {sample['rss_mb']:7.1f} {sample['p50'] or 0:6.2f} {sample['p99'] or 0:6.2f} "
                  f"{sample['delivery_p50'] or 0:9.2f} {sample['delivery_p99'] or 0:9.2f} "
                  f"{decoded:9.1f} {analysed:10.1f} {100 * sample['drop_rate']:9.1f} {sample['kafka_written']:13.0f} "
                  f"{sample['kafka_failed']:6.0f} {sample['kafka_dropped']:7.0f}"
                  + (f" {sample['broker_cores']:13.2f} {sample['broker_rss_mb']:10.1f}" if args.broker_pid else ""),
                  flush=True)
        samples.append(sample)
        previous = sample
    rated = [s for s in samples if "p50" in s]
    if len(rated) >= 2:
        window = min(5 * 60, (rated[-1]["t"] - rated[0]["t"]) / 3)
        first = [s for s in rated if s["t"] <= rated[0]["t"] + window]
        last = [s for s in rated if s["t"] >= rated[-1]["t"] - window]

        def mean(group, key):
            values = [s[key] for s in group if s.get(key) is not None]
            return sum(values) / len(values) if values else float("nan")

        print(f"first {window / 60:.1f} min vs last {window / 60:.1f} min:")
        for key, label in [("rss_mb", "RSS MB"), ("p50", "capture to publish p50 s"), ("p99", "capture to publish p99 s"),
                           ("delivery_p50", "capture to Kafka ack p50 s"), ("delivery_p99", "capture to Kafka ack p99 s"),
                           ("analysed_per_s", "analysed/s"), ("drop_rate", "not analysed (fraction of decoded)"),
                           ("broker_cores", "broker CPU (cores)"), ("broker_rss_mb", "broker RSS MB")]:
            if not any(s.get(key) is not None for s in rated):
                continue
            print(f"  {label:36} {mean(first, key):9.3f} -> {mean(last, key):9.3f}")
    with open(args.json, "w") as handle:
        json.dump([{k: v for k, v in s.items() if k not in ("latency", "delivery")} for s in samples], handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
