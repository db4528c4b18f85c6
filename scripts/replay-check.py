#!/usr/bin/env python3
"""Two real browsers on one dashboard (Debian's headless chromium + chromium-driver, driven by selenium): one opens a
replay (URL?at=AT&speed=S), the other stays live. Every half second both are sampled: each tile's frame id, the
replay banner, and how many tile updates the live page has rendered so far. Reports the samples as JSON; the caller
asserts.

Usage: replay-check.py URL --at MS --speed S --seconds N [--alone-seconds A] [--speed-after S2 --after-seconds M]
The live page is sampled alone for A seconds first (samples with "replay": null), then the replay page opens. With
--speed-after, the replay page switches to that speed M seconds after it opened (through its speed control).
"""
import argparse
import json
import sys
import time

from selenium.webdriver.support.ui import Select

import headless_chromium

# Counts every rendered change of a tile's frame id (the page's own updates, not our polling).
COUNTER = """
window.__updates = 0;
new MutationObserver((changes) => {
  for (const change of changes) {
    const node = change.target.nodeType === 3 ? change.target.parentNode : change.target;
    if (node && node.classList && node.classList.contains('frame')) window.__updates++;
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""

PROBE = """
const frames = {};
for (const tile of document.querySelectorAll('.tile')) {
  const text = tile.querySelector('.frame').textContent;
  if (text.startsWith('#') && text !== '#–') frames[tile.dataset.id] = Number(text.slice(1));
}
const banner = document.getElementById('replay-banner');
return {frames, banner: banner.hidden ? null : banner.textContent, updates: window.__updates || 0,
        connection: document.getElementById('connection').textContent, url: location.search};
"""


def browser():
    return headless_chromium.start(window_size="1400,900", on_new_document=COUNTER)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--at", required=True)
    parser.add_argument("--speed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--speed-after", type=int, default=None)
    parser.add_argument("--after-seconds", type=float, default=None)
    parser.add_argument("--alone-seconds", type=float, default=0)
    args = parser.parse_args()

    live, replay = browser(), None
    try:
        live.get(args.url)
        samples = []
        started = time.time()
        while time.time() - started < args.alone_seconds:
            samples.append({"t": round(time.time() - started - args.alone_seconds, 2),
                            "live": live.execute_script(PROBE), "replay": None})
            time.sleep(0.5)
        replay = browser()
        separator = "&" if "?" in args.url else "?"
        replay.get(f"{args.url}{separator}at={args.at}&speed={args.speed}")
        started = time.time()
        switched = False
        while time.time() - started < args.seconds:
            elapsed = round(time.time() - started, 2)
            if args.speed_after and not switched and elapsed >= (args.after_seconds or 0):
                Select(replay.find_element("id", "replay-speed")).select_by_value(str(args.speed_after))
                switched = True
                samples.append({"t": elapsed, "switched_to": args.speed_after})
            samples.append({"t": elapsed, "live": live.execute_script(PROBE), "replay": replay.execute_script(PROBE)})
            time.sleep(0.5)
        json.dump({"samples": samples}, sys.stdout)
    finally:
        live.quit()
        if replay:
            replay.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
