#!/usr/bin/env python3
"""A small RTSP server for tests and demos (Debian's gst-rtsp-server through python3-gi).

Serves live test video (10 fps H.264, a moving ball) at rtsp://127.0.0.1:PORT/camN for N in 1..COUNT.
Usage: rtsp-server.py --port 8554 [--count 1] [--size 320x240]
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--address", default="127.0.0.1")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for n in range(1, args.count + 1):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(
            f"( videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate=10/1 "
            "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! rtph264pay name=pay0 pt=96 )"
        )
        factory.set_shared(True)
        mounts.add_factory(f"/cam{n}", factory)
    if server.attach(None) == 0:
        print(f"rtsp-server: cannot listen on {args.address}:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"rtsp-server: serving rtsp://{args.address}:{args.port}/cam1..cam{args.count}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
