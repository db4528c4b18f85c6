#!/usr/bin/env python3
"""Opens the dashboard in headless Chromium (Debian's chromium + chromium-driver, driven by selenium), live or as a
replay from a time (`--replay-from MS`: the page's ?at=), waits until the alerts panel shows `--expect-firing`
firing alerts, and reports as JSON what a user sees: each row of the alerts panel (state, stream, text, id) and
each tile's alert mark (text, severity class, whether the tile is marked), plus a screenshot.

Usage: alerts-browser-check.py URL --screenshot PATH [--replay-from MS] [--expect-firing N] [--wait-seconds 30]
Exit 0 either way; the caller asserts.
"""
import argparse
import json
import sys
import time

import headless_chromium

PROBE = """
const panel = document.getElementById('alerts');
return {
  visible: !panel.hidden,
  firing_label: document.getElementById('alerts-firing').textContent,
  rows: [...document.querySelectorAll('#alert-list .alert-row')].map(row => ({
    id: row.title, firing: row.classList.contains('firing'),
    state: row.querySelector('.alert-state').textContent,
    stream: row.querySelector('.event-stream').textContent,
    text: row.querySelector('.event-what').textContent })),
  tiles: [...document.querySelectorAll('#grid .tile')].map(tile => {
    const mark = tile.querySelector('.alert-mark');
    return { id: tile.dataset.id, alerting: tile.classList.contains('alerting'), mark_hidden: mark.hidden,
             mark: mark.textContent, mark_class: mark.className };
  }),
  replay: document.getElementById('replay-banner').textContent,
};
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--replay-from", type=int)
    parser.add_argument("--expect-firing", type=int, default=1)
    parser.add_argument("--expect-rows", type=int, default=1)
    parser.add_argument("--wait-seconds", type=float, default=30)
    args = parser.parse_args()
    url = args.url + (f"?at={args.replay_from}&speed=4" if args.replay_from else "")
    driver = headless_chromium.start()
    try:
        driver.get(url)
        deadline = time.time() + args.wait_seconds
        report = {}
        while time.time() < deadline:
            report = driver.execute_script(PROBE)
            firing = sum(1 for row in report["rows"] if row["firing"])
            marked = sum(1 for tile in report["tiles"] if tile["alerting"])
            if report["visible"] and firing >= args.expect_firing and marked >= args.expect_firing \
                    and len(report["rows"]) >= args.expect_rows:
                time.sleep(1)  # anything still on its way shows too
                report = driver.execute_script(PROBE)
                break
            time.sleep(0.25)
        driver.save_screenshot(args.screenshot)
        report["seconds"] = round(args.wait_seconds - max(0, deadline - time.time()), 1)
        print(json.dumps(report))
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
