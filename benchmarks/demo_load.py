"""20 requests at once against a running ``ganapps demo``: do they all come back, how long do they
wait, and how much memory does the server hold?

Starts ``ganapps demo`` (the shipped weights) on a free local port as a child process, waits until
it serves, then fires the requests from 20 threads at the same moment through ``gradio_client``:
five each of ``/translate`` (the 256-px example horse), ``/sketch`` (the example drawing),
``/inpaint`` (the example face and hole) and ``/upscale`` ×4 (a 64-px crop of the face). The page
runs one model call at a time, so the figures are the queue's: the median and the longest wait from
sending to answer. The server's peak resident memory is read from ``/proc/<pid>/status`` (VmHWM).
Run it on a machine with nothing else busy: ``python benchmarks/demo_load.py``.
"""
from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "demo"
REQUESTS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 300) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the demo exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url + "config", timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"the demo did not answer at {url} within {seconds:.0f} s")


def main() -> None:
    from gradio_client import Client, handle_file

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen([sys.executable, "-m", "ganapps", "demo", "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        t0 = time.perf_counter()
        _wait_for(url, server)
        startup = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            small = Path(tmp) / "small.png"
            cv2.imwrite(str(small), cv2.imread(str(EXAMPLES / "face.png"))[:64, :64])
            face, hole = handle_file(str(EXAMPLES / "face.png")), handle_file(str(EXAMPLES / "face-hole.png"))
            drawing = handle_file(str(EXAMPLES / "drawing.png"))
            calls = [
                (("translate",), (handle_file(str(EXAMPLES / "horse.png")), "horse2zebra")),
                (("sketch",), ({"background": drawing, "layers": [], "composite": drawing},)),
                (("inpaint",), ({"background": face, "layers": [hole], "composite": face},)),
                (("upscale",), (handle_file(str(small)), "x4", "srgan")),
            ]
            jobs = [calls[i % len(calls)] for i in range(REQUESTS)]
            clients = [Client(url, verbose=False) for _ in range(REQUESTS)]

            def call(i: int) -> tuple[str, float, bool]:
                (name,), args = jobs[i]
                start = time.perf_counter()
                try:
                    result = clients[i].predict(*args, api_name=f"/{name}")
                    ok = not str(result[-1]).startswith("error")
                except Exception:  # noqa: BLE001 - a failed request is a figure here, not a crash
                    ok = False
                return name, time.perf_counter() - start, ok

            with ThreadPoolExecutor(REQUESTS) as pool:
                results = list(pool.map(call, range(REQUESTS)))
        latencies = [s for _, s, ok in results if ok]
        print(json.dumps({
            "requests": REQUESTS,
            "succeeded": sum(ok for *_, ok in results),
            "median_s": round(statistics.median(latencies), 2) if latencies else None,
            "max_s": round(max(latencies), 2) if latencies else None,
            "server_peak_rss_mb": round(_peak_rss_mb(server.pid)),
            "startup_s": round(startup, 1),
            "per_endpoint_median_s": {n: round(statistics.median([s for m, s, ok in results if m == n and ok]), 2)
                                      for n in sorted({m for m, *_ in results})},
        }, indent=1))  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
