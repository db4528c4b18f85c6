#!/usr/bin/env python3
"""Opens the dashboard in headless Chromium (Debian's chromium + chromium-driver, driven by selenium) and reports
what a user sees, as JSON: tiles, tiles showing a loaded image, track rows, connection state, whether a given
stream id is rendered as text, alerts raised, and a screenshot.

Usage: browser-check.py URL --screenshot PATH [--wait-seconds 20] [--min-images 4] [--min-track-rows 1]
                        [--text-id ID] [--min-event-rows N]
Also reported: overlays with zones or lines drawn, the first tiles' counter texts, and the events panel's rows.
It waits until the minimums are met or the time is up, then reports (exit 0 either way; the caller asserts).
"""
import argparse
import json
import sys
import time

import headless_chromium

PROBE = """
const tiles = [...document.querySelectorAll('.tile')];
const images = tiles.filter(t => { const i = t.querySelector('img'); return i && !i.hidden && i.complete && i.naturalWidth > 0; });
const textId = arguments[0];
const named = textId === null ? null : tiles.find(t => t.dataset.id === textId);
return {
  tiles: tiles.length,
  loaded_images: images.length,
  track_rows: document.querySelectorAll('.track-row').length,
  connection: document.getElementById('connection').textContent,
  online: document.getElementById('online').textContent,
  text_id_rendered_as_text: named ? named.querySelector('.name').textContent === textId : false,
  injected_images: document.querySelectorAll('img[src="x"]').length,
  // Zones and lines drawn: overlays with painted pixels; their counters and the events panel.
  drawn_overlays: [...document.querySelectorAll('.tile canvas.overlay')].filter(c => {
    if (!c.width || !c.height) return false;
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
    return false;
  }).length,
  counters: [...document.querySelectorAll('.tile .counters')].filter(c => !c.hidden && c.textContent).map(c => c.textContent).slice(0, 3),
  event_rows: document.querySelectorAll('#event-list .event-row').length,
  alerts: window.__alerts || [],
};
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--wait-seconds", type=float, default=20)
    parser.add_argument("--min-images", type=int, default=4)
    parser.add_argument("--min-track-rows", type=int, default=1)
    parser.add_argument("--text-id", default=None)
    parser.add_argument("--min-event-rows", type=int, default=0, help="also wait for this many rows of the events panel")
    args = parser.parse_args()

    # Record alerts instead of blocking on them: an XSS in a stream id would call alert().
    driver = headless_chromium.start(
        on_new_document="window.__alerts = []; window.alert = (m) => window.__alerts.push(String(m));")
    try:
        started = time.time()
        driver.get(args.url)
        report = {}
        while time.time() - started < args.wait_seconds:
            report = driver.execute_script(PROBE, args.text_id)
            if (report["loaded_images"] >= args.min_images and report["track_rows"] >= args.min_track_rows
                    and report["event_rows"] >= args.min_event_rows
                    and (args.text_id is None or report["text_id_rendered_as_text"])):
                break
            time.sleep(0.25)
        report["seconds"] = round(time.time() - started, 2)
        time.sleep(0.5)  # let the last thumbnails paint before the picture
        driver.save_screenshot(args.screenshot)
        report["screenshot"] = args.screenshot
        json.dump(report, sys.stdout)
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
