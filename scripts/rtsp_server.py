#!/usr/bin/python3
"""A small RTSP server for tests and demos: publishes an H.264 mp4 at rtsp://HOST:PORT/cam.

Runs under Debian's system Python with GStreamer's RTSP server bindings
(apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good
gstreamer1.0-plugins-bad), not inside the project's environment:

    /usr/bin/python3 scripts/rtsp_server.py samples/vtest_normal.mp4 --port 8554

The clip is sent as is (no re-encoding), paced in real time, and restarts from the beginning
for every new client session; `--loop` makes it repeat forever.
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", help="H.264 mp4 to publish")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8554)
    ap.add_argument("--path", default="/cam")
    ap.add_argument("--loop", action="store_true", help="repeat the clip forever")
    args = ap.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    src = f'multifilesrc location="{args.clip}" loop=true' if args.loop else f'filesrc location="{args.clip}"'
    launch = f"( {src} ! qtdemux ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 )"
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(False)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 2
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"rtsp://{args.host}:{args.port}{args.path}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
