#!/usr/bin/python3
"""Counts the pixels of one colour in a PNG (8-bit RGB or RGBA, as Chromium writes its
screenshots): `png_pixels.py FILE RRGGBB [TOLERANCE]` prints `<width> <height> <count>`."""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(path + ": not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise SystemExit(path + ": only 8-bit RGB/RGBA, non-interlaced")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    pixels = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels.append(bytes(line))
        previous = line
    return width, height, channels, pixels


def main():
    width, height, channels, rows = decode(sys.argv[1])
    want = bytes.fromhex(sys.argv[2])
    tolerance = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    count = 0
    for row in rows:
        for x in range(0, len(row), channels):
            if all(abs(row[x + k] - want[k]) <= tolerance for k in range(3)):
                count += 1
    print(width, height, count)


if __name__ == "__main__":
    main()
