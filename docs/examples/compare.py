#!/usr/bin/env python3
"""Puts a generation's frames under the true frames of the clip it started from (standard library only).

    python3 docs/examples/request.py --frames 24 > /tmp/req.json
    curl -s -H 'Content-Type: application/json' -H 'Accept: application/json' \\
         --data @/tmp/req.json localhost:8080/v1/generations > /tmp/answer.json
    python3 docs/examples/compare.py /tmp/answer.json --out /tmp/compare.png

The picture: the last context frame, then one column per generated frame, --columns to a row; the
true frames of the held-out trajectory (models/eval/<set>/<trajectory>.png, named by
v2-context/clip.json) on top, the generated ones below, every pixel drawn as a --scale x --scale block. The answer must be the JSON
form (Accept: application/json) of a request made by request.py from the same clip and its true
actions, so frame i of the answer is frame contextFrames + i of the trajectory.
"""
import argparse
import base64
import json
import pathlib
import struct
import sys
import zlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def read_png(data: bytes):
    """(width, height, rows of RGB bytes) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, head = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    w, h, depth, colour, _, _, interlace = head
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        raise ValueError("only 8-bit RGB/RGBA non-interlaced PNGs are read here (depth %d, colour type %d)"
                         % (depth, colour))
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if bpp == 3 else bytes(v for j, v in enumerate(line) if j % 4 != 3))
        prev = line
    return w, h, rows


def strip_frame(rows, fw: int, i: int):
    """Frame i (its rows of RGB bytes) of a trajectory strip read by read_png: frames side by side, fw px wide."""
    return [r[3 * fw * i:3 * fw * (i + 1)] for r in rows]


def write_png(w: int, h: int, rows) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def tile(frames, fw: int, fh: int, scale: int, gap: int):
    """Rows of one RGB picture: frames (lists of `fh` rows of RGB bytes) in rows of columns, `gap` px apart."""
    cols = max(len(r) for r in frames)
    width = cols * fw * scale + (cols - 1) * gap
    out = []
    for r, line in enumerate(frames):
        if r:
            out += [b"\xff" * 3 * width] * gap
        for y in range(fh):
            row = bytearray()
            for c in range(cols):
                if c:
                    row += b"\xff" * 3 * gap
                px = line[c][y] if c < len(line) else b"\xff" * 3 * fw
                row += b"".join(px[3 * x:3 * x + 3] * scale for x in range(fw))
            out += [bytes(row)] * scale
    return width, out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("answer", help="the JSON answer of POST /v1/generations (Accept: application/json)")
    p.add_argument("--clip", default=str(HERE / "v2-context" / "clip.json"),
                   help="the clip the request was made from (default: request.py's world v2 clip)")
    p.add_argument("--out", required=True)
    p.add_argument("--scale", type=int, default=3)
    p.add_argument("--columns", type=int, default=9, help="frames per row pair (truth above, generated below)")
    a = p.parse_args()
    answer = json.loads(pathlib.Path(a.answer).read_text())
    clip = json.loads(pathlib.Path(a.clip).read_text())
    if "frames" not in answer or not isinstance(answer["frames"], list):
        sys.exit("%s is not the JSON form of a generation (no frames list); post with Accept: application/json"
                 % a.answer)
    generated = [read_png(base64.b64decode(f["image"])) for f in answer["frames"]]
    tw, th, strip = read_png((ROOT / "models" / "eval" / clip["set"] / (clip["trajectory"] + ".png")).read_bytes())
    fw, fh = generated[0][0], generated[0][1]
    if th != fh or tw % fw:
        sys.exit("the trajectory's frames (%dx%d strip) are not %dx%d" % (tw, th, fw, fh))

    n, c0, total = len(generated), clip["frames"], tw // fw
    if c0 + n > total:
        sys.exit("the answer has %d frames, the trajectory only %d after its %d context frames" % (n, total - c0, c0))
    manifest = json.loads((ROOT / "models" / "eval" / clip["set"] / "manifest.json").read_text())
    acts = next(t["actions"] for t in manifest["trajectories"] if t["id"] == clip["trajectory"])
    for i, f in enumerate(answer["frames"]):
        if f.get("action") != acts[c0 + i]:
            sys.exit("frame %d was made for %r, but the trajectory's frame %d followed %r: the truth would "
                     "show another path (request.py --frames %d or fewer keeps the true actions)"
                     % (i, f.get("action"), c0 + i, acts[c0 + i], len(clip["future"])))
    truth = [strip_frame(strip, fw, c0 - 1)] + [strip_frame(strip, fw, c0 + i) for i in range(n)]
    made = [truth[0]] + [g[2] for g in generated]
    lines = []
    for k in range(0, len(truth), a.columns):
        lines += [truth[k:k + a.columns], made[k:k + a.columns]]
    width, rows = tile(lines, fw, fh, a.scale, 2)
    pathlib.Path(a.out).write_bytes(write_png(width, len(rows), rows))
    print("%s: %d generated frames under the truth (%s %s, from frame %d)" % (a.out, n, clip["set"],
                                                                              clip["trajectory"], c0))


if __name__ == "__main__":
    main()
