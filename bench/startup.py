"""Start-up and memory: `python app.py` as users launch it, then one first request per model.

    python -m bench.startup [--device cpu]

- UI ready: from starting the process until GET / answers (goal ≤ 3 s on a quiet machine: models load lazily);
- first request per installed registry model through gradio_client (its load, warm-up and one call),
  and one short training run;
- peak RSS of the server after every model has been used (goal ≤ 3 GiB), from /proc/<pid>/status (VmHWM).
"""
import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from studio.launcher import launch_studio

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"


@dataclass
class StartupResult:
    ui_ready_s: float
    first_request_s: dict[str, float]  # model key (or "training") -> seconds
    rss_at_ready_gb: float
    peak_rss_gb: float


def first_request(spec) -> tuple[tuple, str]:
    """(arguments, endpoint) of one typical request that makes the server load the model `spec` names."""
    from gradio_client import handle_file

    if spec.task == "speech":
        return (handle_file(str(ASSETS / "audio" / "en_weather.wav")), spec.key, "en", "transcribe"), "/transcribe"
    if spec.task == "image":
        return (handle_file(str(ASSETS / "images" / "coffee.jpg")), spec.key), "/classify"
    if spec.task == "translation":
        sentence = "O gato está dormindo no sofá." if spec.key.endswith("-en") else "The cat is sleeping on the sofa."
        return (sentence, spec.key, 4), "/translate"
    if spec.task == "detection":
        return (handle_file(str(ASSETS / "images" / "coffee.jpg")),), "/detect"
    if spec.task == "embedding":
        return ("king", 10, spec.key), "/neighbors"
    return (spec.key, "The cat sat on the mat.", 0, -1), "/attention"  # text and language models


TRAINING_REQUEST = (("digits", "mlp", "adam", 3e-3, 32, 1, 0, 0.2), "/train")


def memory_gb(pid: int, field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of a process, in GiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 2**20  # kB
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def measure(device: str = "cpu") -> StartupResult:
    """Launch the studio with a fresh data folder, time it, use every installed model, read its memory."""
    from gradio_client import Client

    from models.registry import SPECS

    requests = {spec.key: first_request(spec) for spec in SPECS if spec.installed} | {"training": TRAINING_REQUEST}

    with tempfile.TemporaryDirectory(prefix="bench-startup-") as data:
        log = Path(data) / "app.log"
        started = time.perf_counter()
        try:
            with launch_studio(log, ("--device", device), data_dir=Path(data)) as (url, process):
                ui_ready = time.perf_counter() - started
                rss_at_ready = memory_gb(process.pid, "VmRSS")
                client = Client(url, verbose=False)
                timings = {}
                for key, (arguments, endpoint) in requests.items():
                    started = time.perf_counter()
                    client.predict(*arguments, api_name=endpoint)
                    timings[key] = time.perf_counter() - started
                peak = memory_gb(process.pid, "VmHWM")
        except Exception as error:
            raise RuntimeError(f"{error}\napp.py's log:\n{log.read_text()[-4000:]}") from error
    return StartupResult(ui_ready, timings, rss_at_ready, peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    result = measure(args.device)
    print(f"UI ready after {result.ui_ready_s:.2f} s (goal ≤ 3 s quiet), {result.rss_at_ready_gb:.2f} GiB RSS then\n")
    print("| first request | seconds |\n|---|---|")
    for key, taken in result.first_request_s.items():
        print(f"| {key} | {taken:.2f} |")
    print(f"\npeak RSS after every model was used: {result.peak_rss_gb:.2f} GiB (goal ≤ 3 GiB)")


if __name__ == "__main__":
    main()
