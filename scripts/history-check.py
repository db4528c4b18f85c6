#!/usr/bin/env python3
"""Opens the dashboard's History view in headless Chromium (Debian's chromium + chromium-driver, driven by selenium),
as a user would: clicks History, picks a range, a bucket and optionally a stream, waits for the charts, and reports
what they show as JSON: every bar's stream, zone or line, bucket, series and count (the numbers the bar and its
tooltip carry), the tooltips, the status line, and a screenshot.

Usage: history-check.py URL --screenshot PATH [--range 24h] [--by hour] [--stream ID] [--wait-seconds 20]
Exit 0 either way; the caller asserts.
"""
import argparse
import json
import sys
import time

from selenium.webdriver.support.ui import Select

import headless_chromium

PROBE = """
const section = document.getElementById('history');
return {
  visible: !section.hidden && getComputedStyle(section).display !== 'none',
  loaded: section.dataset.loaded || null,
  status: document.getElementById('history-status').textContent,
  charts: document.querySelectorAll('#history-charts .chart').length,
  bars: [...document.querySelectorAll('#history-charts .chart')].flatMap(chart =>
    [...chart.querySelectorAll('rect.bar')].map(bar => ({
      stream: chart.dataset.stream, name: chart.dataset.name, bucket_ms: Number(bar.dataset.bucket),
      series: bar.dataset.series, count: Number(bar.dataset.count),
      height: Number(bar.getAttribute('height')), tooltip: bar.querySelector('title').textContent }))),
};
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--range", default="24h")
    parser.add_argument("--by", default="hour")
    parser.add_argument("--stream", default="")
    parser.add_argument("--wait-seconds", type=float, default=20)
    args = parser.parse_args()

    driver = headless_chromium.start(window_size="1600,1200")
    try:
        started = time.time()
        driver.get(args.url)
        driver.find_element("id", "show-history").click()
        report = {}
        # The first load starts on the click; choosing the range, bucket and stream loads again.
        while time.time() - started < args.wait_seconds:
            report = driver.execute_script(PROBE)
            if report["loaded"]:
                break
            time.sleep(0.2)
        previous = report.get("loaded")
        Select(driver.find_element("id", "history-range")).select_by_value(args.range)
        Select(driver.find_element("id", "history-by")).select_by_value(args.by)
        if args.stream:
            Select(driver.find_element("id", "history-stream")).select_by_value(args.stream)
        driver.find_element("id", "history-refresh").click()
        while time.time() - started < args.wait_seconds:
            report = driver.execute_script(PROBE)
            if report["loaded"] and report["loaded"] != previous:
                break
            time.sleep(0.2)
        # Each choice loads again: wait until no load has finished for a second (the last one has the final choices).
        while time.time() - started < args.wait_seconds:
            time.sleep(1.0)
            settled = driver.execute_script(PROBE)
            if settled["loaded"] == report["loaded"]:
                break
            report = settled
        report["seconds"] = round(time.time() - started, 2)
        driver.save_screenshot(args.screenshot)
        report["screenshot"] = args.screenshot
        json.dump(report, sys.stdout)
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
