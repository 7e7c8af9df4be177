"""The studio launched as users launch it (`python app.py`), for the tests and the benchmarks alike.

It runs offline on CPU, on a free local port, with its own data folder, and is stopped afterwards.
"""
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def launch_studio(log: Path, arguments: tuple[str, ...] = (), environment: dict | None = None,
                  data_dir: Path | None = None):
    """`python app.py` on a free port, offline, with its own data folder; yields (url, process), stops it after."""
    with contextlib.ExitStack() as stack:
        data_dir = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="studio-data-")))
        port = free_port()
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
               "STUDIO_DEVICE": "cpu", "STUDIO_DATA_DIR": str(data_dir), **(environment or {})}
        with open(log, "w") as output:
            process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *arguments], cwd=ROOT, env=env,
                                       stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
        try:
            wait_until_up(url, process, log)
            yield url, process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)  # fine enough for bench.startup to time the start
    raise RuntimeError(f"app.py did not answer within {STARTUP_SECONDS} s:\n{log.read_text()[-4000:]}")
