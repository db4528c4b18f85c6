#!/usr/bin/env python3
"""Keeps N headless Chromium sessions on a page for S seconds (load for benchmarks), then saves a screenshot of the
first one. Usage: hold-browsers.py URL --browsers 5 --seconds 30 --screenshot PATH [--ready-file PATH]"""
import argparse
import time

import headless_chromium


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--browsers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--ready-file", help="created once every browser has loaded the page")
    args = parser.parse_args()
    drivers = []
    try:
        for _ in range(args.browsers):
            driver = headless_chromium.start(window_size="1600,1200")
            driver.get(args.url)
            drivers.append(driver)
        if args.ready_file:
            open(args.ready_file, "w").close()
        time.sleep(args.seconds)
        drivers[0].save_screenshot(args.screenshot)
    finally:
        for driver in drivers:
            driver.quit()


if __name__ == "__main__":
    main()
