#!/usr/bin/python3
"""A picture of physical memory: one cell per page frame, coloured by what the frame holds.

    memmap.py DUMP PNG          draw the page-state dump DUMP (gdb's k-pagestates) as PNG
    memmap.py --count PNG       read a picture back: frames of each state, from its pixels
    memmap.py --boot PNG        boot a small machine that swaps (make memmap), dump it, draw it

The dump's first line has one character per frame (scripts/gdb/kdata.py: STATE_NAMES); each
further line `pid PID COMM PFN,...` lists the frames one process maps. Below the map, a
legend with each state's count, then one strip per process with the frames it maps.
The geometry is kept in the PNG (a text chunk), so that --count finds every cell again.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, PngImagePlugin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "gdb"))
from kstates import STATE_NAMES  # noqa: E402  (the one list of states, shared with gdb)

COLOURS = {
    "R": (90, 90, 90), "K": (200, 60, 60), "T": (230, 150, 30), "A": (60, 120, 220),
    "F": (60, 170, 80), "S": (160, 80, 200), "C": (230, 210, 40), ".": (235, 235, 235),
}
BACKGROUND = (255, 255, 255)
INK = (0, 0, 0)
COLS = 128                      # frames per row: 512 KB
CELL, PITCH = 5, 6              # a cell and the distance to the next one, in pixels
STRIP_CELL = 2                  # cells of the per-process strips
MARGIN = 10
GEOMETRY_KEY = "ferrite-memmap"


def parse_dump(text):
    lines = text.splitlines()
    states = lines[0].strip()
    unknown = set(states) - set(STATE_NAMES)
    if unknown:
        raise ValueError(f"unknown page states in the dump: {''.join(sorted(unknown))}")
    processes = []
    for line in lines[1:]:
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "pid":
            frames = [int(p) for p in parts[3].split(",")] if len(parts) > 3 and parts[3] else []
            processes.append((int(parts[1]), parts[2], frames))
    return states, processes


def draw(states, processes):
    rows = (len(states) + COLS - 1) // COLS
    map_w, map_h = COLS * PITCH, rows * PITCH
    strip_rows = (len(states) + COLS - 1) // COLS
    strip_h = strip_rows * STRIP_CELL + 18
    legend_h = 18 * ((len(STATE_NAMES) + 3) // 4) + 8
    width = max(map_w, 4 * 180) + 2 * MARGIN
    height = MARGIN + 16 + map_h + 8 + legend_h + len(processes) * strip_h + MARGIN
    img = Image.new("RGB", (width, height), BACKGROUND)
    d = ImageDraw.Draw(img)
    d.text((MARGIN, MARGIN), f"physical memory: {len(states)} page frames, "
           f"{COLS} a row ({COLS * 4} KB)", fill=INK)
    x0, y0 = MARGIN, MARGIN + 16
    for i, c in enumerate(states):
        x, y = x0 + (i % COLS) * PITCH, y0 + (i // COLS) * PITCH
        d.rectangle([x, y, x + CELL - 1, y + CELL - 1], fill=COLOURS[c])
    y = y0 + map_h + 8
    for k, (c, name) in enumerate(STATE_NAMES.items()):
        lx, ly = MARGIN + (k % 4) * 180, y + (k // 4) * 18
        d.rectangle([lx, ly, lx + 11, ly + 11], fill=COLOURS[c], outline=INK)
        d.text((lx + 16, ly), f"{name}: {states.count(c)}", fill=INK)
    y += legend_h
    for pid, name, frames in processes:
        d.text((MARGIN, y), f"pid {pid} {name}: maps {len(frames)} frames", fill=INK)
        sy = y + 14
        held = set(frames)
        for i in range(len(states)):
            x, yy = MARGIN + (i % COLS) * STRIP_CELL, sy + (i // COLS) * STRIP_CELL
            colour = COLOURS[states[i]] if i in held else (245, 245, 245)
            d.rectangle([x, yy, x + STRIP_CELL - 1, yy + STRIP_CELL - 1], fill=colour)
        y += strip_h
    geometry = {"x0": x0, "y0": y0, "pitch": PITCH, "cell": CELL, "cols": COLS,
                "frames": len(states)}
    return img, geometry


def save(img, geometry, path):
    info = PngImagePlugin.PngInfo()
    info.add_text(GEOMETRY_KEY, json.dumps(geometry))
    img.save(path, pnginfo=info)


def count(path):
    """Frames of each state, read back from the picture's pixels."""
    img = Image.open(path)
    g = json.loads(img.text[GEOMETRY_KEY])
    by_colour = {v: k for k, v in COLOURS.items()}
    rgb = img.convert("RGB")
    counts = {c: 0 for c in STATE_NAMES}
    for i in range(g["frames"]):
        x = g["x0"] + (i % g["cols"]) * g["pitch"] + g["cell"] // 2
        y = g["y0"] + (i // g["cols"]) * g["pitch"] + g["cell"] // 2
        pixel = rgb.getpixel((x, y))
        if pixel not in by_colour:
            raise ValueError(f"frame {i}: pixel {pixel} is no state's colour")
        counts[by_colour[pixel]] += 1
    return counts


def boot_and_dump(dump):
    """Boots the kernel in QEMU on 32 MB with a swap disk and /tests/watchee as init (a
    process grown past the RAM and a forked child), then dumps its page states through gdb."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from machine import free_tcp_port, tcp_listening
    build = ROOT / "build"
    port = free_tcp_port()
    with tempfile.TemporaryDirectory() as tmp:
        swap = Path(tmp) / "swap.img"
        with open(swap, "wb") as f:
            f.truncate(64 << 20)
        subprocess.run([str(build / "host" / "mkswap"), str(swap)], check=True,
                       capture_output=True)
        serial = Path(tmp) / "serial.log"
        qemu = subprocess.Popen(
            [os.environ.get("QEMU", "qemu-system-i386"), "-m", "32",
             "-kernel", str(build / "kernel.elf"), "-initrd", str(build / "initrd-tests.cpio"),
             "-append", "init=/tests/watchee console=ttyS0",
             "-drive", f"file={swap},format=raw,if=ide,index=0",
             "-serial", f"file:{serial}", "-display", "none", "-no-reboot",
             "-gdb", f"tcp:127.0.0.1:{port}"], stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while b"@@ watch ready" not in (serial.read_bytes() if serial.exists() else b""):
                if qemu.poll() is not None or time.monotonic() > deadline:
                    sys.exit("memmap: the machine did not reach its steady state")
                time.sleep(0.5)
            while not tcp_listening(port):
                time.sleep(0.1)
            subprocess.run(["gdb", "-batch", "-nx", "-ex", f"file {build / 'kernel.elf'}",
                            "-ex", f"target remote localhost:{port}",
                            "-ex", f"source {ROOT / 'scripts' / 'gdb' / 'kernel.py'}",
                            "-ex", f"k-pagestates {dump}"], check=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        finally:
            qemu.kill()
            qemu.wait()


def main(argv):
    if len(argv) == 3 and argv[1] == "--count":
        for c, n in count(argv[2]).items():
            print(f"{STATE_NAMES[c]}: {n}")
        return 0
    if len(argv) == 3 and argv[1] == "--boot":
        dump = Path(argv[2]).with_suffix(".pagestates")
        boot_and_dump(dump)
        argv = [argv[0], str(dump), argv[2]]
    if len(argv) != 3 or argv[1].startswith("-"):
        print("usage:\n" + "\n".join(__doc__.strip().splitlines()[2:5]), file=sys.stderr)
        return 2
    states, processes = parse_dump(Path(argv[1]).read_text())
    img, geometry = draw(states, processes)
    save(img, geometry, argv[2])
    print(f"memmap: {argv[2]}: {len(states)} frames, {len(processes)} processes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
