#!/usr/bin/python3
"""Product images on loopback, for the rendering test and the README demo.

Answers every GET with a PNG of the size the image URL asks for (&w=…&h=…, as the Commerce
image server's resize parameters; 200×200 otherwise). Listens on 127.0.0.1 on a port the
system picks, writes it to --port-file (temp file, then rename) and prints it.

  --color RRGGBB   every image is this one solid colour (tests count its pixels)
  --demo           a soft tile per product, its colour taken from the file name
  --log PATH       one line per request: the path asked for
Runs until SIGTERM or SIGINT.
"""
import argparse
import colorsys
import hashlib
import os
import signal
import struct
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def png(width, height, pixel):
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows.extend(pixel(x, y))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows))) + \
        chunk(b"IEND", b"")


def demo_tile(name, width, height):
    digest = hashlib.sha256(name.encode()).digest()
    base = [int(255 * c) for c in colorsys.hls_to_rgb(digest[0] / 255, 0.82, 0.55)]
    dark = [int(255 * c) for c in colorsys.hls_to_rgb(digest[1] / 255, 0.45, 0.6)]
    cx, cy, r = width / 2, height * 0.55, min(width, height) * 0.3

    def pixel(x, y):
        d = ((x - cx) ** 2 + (y - cy) ** 2) ** 0.5
        if d < r:
            shine = max(0.0, 1 - (((x - cx + r / 3) ** 2 + (y - cy + r / 3) ** 2) ** 0.5) / r)
            return bytes(min(255, int(c + 90 * shine)) for c in dark)
        shade = 1 - 0.15 * y / height
        return bytes(int(c * shade) for c in base)
    return png(width, height, pixel)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file")
    parser.add_argument("--color", default="ff00ff")
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--log")
    args = parser.parse_args()
    solid = bytes.fromhex(args.color)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)

            def size(key):
                try:
                    return max(1, min(1000, int(query.get(key, ["200"])[0])))
                except ValueError:
                    return 200
            width, height = size("w"), size("h")
            if args.demo:
                body = demo_tile(parts.path + "?" + query.get("fileName", [""])[0], width, height)
            else:
                body = png(width, height, lambda x, y: solid)
            if args.log:
                with lock, open(args.log, "a") as log:
                    log.write(self.path + "\n")
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=3600")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *unused):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".part", "w") as out:
            out.write(str(port))
        os.replace(args.port_file + ".part", args.port_file)
    print("image_server listening on http://127.0.0.1:%d" % port, flush=True)
    signal.signal(signal.SIGTERM, lambda *unused: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
