"""Many users at once: start the studio, let N gradio_client users send mixed requests for a while, report.

    python -m bench.load --users 10 --seconds 60

All users connect at once (each fetches the app's config, as a page load does; timed as "connect"). When every
one has connected, all start together and for `seconds` each loops over classify (a photo), translate (a
sentence), transcribe (a 3.6 s clip) and attention (a sentence), starting at a different one. The two phases are
apart because the clients run on the server's own CPU here: building a gradio_client `Client` is ≈ 0.2 s of the
bench's CPU, which in a classroom each student's machine pays for itself. The studio runs as users run it
(`python app.py`, its own queue and limits), on a free port with a temporary data folder. Reports errors, p50 /
p95 latency per endpoint and the server's peak memory (RSS); writes bench/out/load-<users>.json.
"""
import argparse
import contextlib
import json
import ssl
import threading
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import psutil

from studio.launcher import ROOT, launch_studio

ASSETS = ROOT / "assets"
# gradio_client opens a new httpx client for every request, and each one builds an SSL context from the CA bundle
# (tens of ms of CPU), http:// or not: 30 users spent about a core of this machine, the server's own, on that alone.
# One context made once serves them all; a browser pays nothing of the kind.
SHARED_SSL_CONTEXT = ssl.create_default_context()


def requests() -> list[tuple[str, tuple]]:
    from gradio_client import handle_file

    return [("/classify", (handle_file(str(ASSETS / "images" / "coffee.jpg")), "efficientnet-lite0")),
            ("/translate", ("The children are playing in the park.", "bergamot-en-pt", 2)),
            ("/transcribe", (handle_file(str(ASSETS / "audio" / "en_weather.wav")), "whisper-tiny.en", "auto",
                             "transcribe")),
            ("/attention", ("all-minilm-l6-v2", "The cat sat on the mat.", 2, 5))]


@dataclass
class Call:
    endpoint: str
    seconds: float
    error: str = ""


@dataclass
class MemoryWatch:
    """Samples the server's resident memory (and its children's) until stopped."""
    pid: int
    peak_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def rss_mb(self) -> float:
        process = psutil.Process(self.pid)
        return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20

    def run(self) -> None:
        while not self._stop.wait(0.25):
            with contextlib.suppress(psutil.Error):
                self.peak_mb = max(self.peak_mb, self.rss_mb())

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Window:
    """The requests' phase: it opens when the last user has connected and lasts `seconds`."""
    seconds: float
    deadline: float = float("inf")

    def open(self) -> None:
        self.deadline = time.monotonic() + self.seconds


def user(url: str, first: int, everyone_connected: threading.Barrier, window: Window, calls: list[Call]) -> None:
    from gradio_client import Client

    mixed, number = requests(), first
    started = time.perf_counter()
    try:  # a user opening the page: the config request must be answered under load too
        client = Client(url, verbose=False, ssl_verify=SHARED_SSL_CONTEXT)
        calls.append(Call("connect", time.perf_counter() - started))
    except Exception as error:  # noqa: BLE001 (a timeout or a refused connection: both are failures)
        client = None
        calls.append(Call("connect", time.perf_counter() - started, f"{type(error).__name__}: {error}"[:300]))
    everyone_connected.wait()
    while client is not None and time.monotonic() < window.deadline:
        endpoint, arguments = mixed[number % len(mixed)]
        number += 1
        started = time.perf_counter()
        try:
            client.predict(*arguments, api_name=endpoint)
            calls.append(Call(endpoint, time.perf_counter() - started))
        except Exception as error:  # noqa: BLE001 (every failure is a result here, whatever its type)
            calls.append(Call(endpoint, time.perf_counter() - started, f"{type(error).__name__}: {error}"[:300]))


@dataclass
class EndpointFigures:
    endpoint: str
    calls: int
    errors: int
    p50_seconds: float
    p95_seconds: float


@dataclass
class LoadReport:
    users: int
    seconds: float
    warm_rss_mb: float  # after one request of each kind, before the load
    peak_rss_mb: float
    endpoints: list[EndpointFigures]
    errors: list[str]

    @property
    def calls(self) -> int:
        return sum(figures.calls for figures in self.endpoints)

    def table(self) -> str:
        summary = (f"{self.users} users, {self.seconds:.0f} s: {self.calls} calls, {len(self.errors)} errors, "
                   f"server RSS {self.warm_rss_mb:.0f} MB warm → {self.peak_rss_mb:.0f} MB peak")
        lines = [summary, "",
                 "| endpoint | calls | errors | p50 s | p95 s |", "|---|---|---|---|---|"]
        lines += [f"| {f.endpoint} | {f.calls} | {f.errors} | {f.p50_seconds:.2f} | {f.p95_seconds:.2f} |"
                  for f in self.endpoints]
        return "\n".join(lines + [f"- {error}" for error in sorted(set(self.errors))[:10]])


def run_load(url: str, pid: int, users: int, seconds: float) -> LoadReport:
    """One request of each kind first (models load), then `users` threads connect and send requests for `seconds`."""
    from gradio_client import Client

    warm = Client(url, verbose=False, ssl_verify=SHARED_SSL_CONTEXT)
    for endpoint, arguments in requests():
        warm.predict(*arguments, api_name=endpoint)
    memory = MemoryWatch(pid)
    warm_rss = memory.rss_mb()
    watcher = threading.Thread(target=memory.run, daemon=True)
    watcher.start()
    calls: list[Call] = []
    window = Window(seconds)
    everyone_connected = threading.Barrier(users, action=window.open)
    threads = [threading.Thread(target=user, args=(url, number, everyone_connected, window, calls))
               for number in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - window.deadline + seconds
    memory.stop()
    watcher.join()
    endpoints = []
    for endpoint in ["connect", *(endpoint for endpoint, _ in requests())]:
        mine = [call for call in calls if call.endpoint == endpoint]
        answered = [call.seconds for call in mine if not call.error] or [float("nan")]
        endpoints.append(EndpointFigures(endpoint, len(mine), sum(bool(call.error) for call in mine),
                                         float(np.percentile(answered, 50)), float(np.percentile(answered, 95))))
    return LoadReport(users, elapsed, warm_rss, max(memory.peak_mb, warm_rss), endpoints,
                      [call.error for call in calls if call.error])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    with launch_studio(out / f"load-{args.users}.log") as (url, process):
        report = run_load(url, process.pid, args.users, args.seconds)
    print(report.table())
    (out / f"load-{args.users}.json").write_text(json.dumps({**asdict(report), "calls": report.calls}, indent=1))


if __name__ == "__main__":
    main()
