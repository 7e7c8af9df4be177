"""How many threads an attribution's passes run on: every core when the machine is otherwise idle, one when other
processes are busy.

A pass is thousands of small operators (SmolLM2's forward and backward over 64 tokens), each one an OpenMP
parallel region that ends in a barrier. On the 2-core CPU, when another process holds a core, one of the two
threads waits for a time slice at nearly every barrier: the same 8-point pass took 28 s with 2 threads against
2.9 s with 1 under load 7.5, and a 1-point pass 14.7 s against 0.9 s (bench/RESULTS.md). One thread cannot convoy.
Other processes' share of the CPUs is read from /proc/stat (all CPUs' busy time) less this process's own CPU time,
over the window since the last look: before the first pass over a short sample, then over the pass just run.
torch's thread count is process-wide: it is set while an attribution runs and put back when the last one ends.
"""
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import torch

STAT = Path("/proc/stat")
FIRST_SAMPLE_SECONDS = 0.05  # the look before the first pass (later ones read the window of the pass just run)
IDLE_ENOUGH = 0.9  # a core counts as free when other processes use less than 1 − this of it
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

_lock = threading.Lock()
_active = 0  # attributions running in this process
_restore = 0  # the thread count to put back when the last one ends
_last: tuple[float, float, float] | None = None  # (wall, all CPUs' busy seconds, this process's CPU seconds)


def threads_for(cores: int, others_busy: float) -> int:
    """Threads for a pass: the cores other processes leave free (IDLE_ENOUGH of each), one at least."""
    return max(1, min(cores, int(cores - others_busy + 1 - IDLE_ENOUGH)))


def cores() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _sample() -> tuple[float, float, float] | None:
    """(wall, busy seconds of all CPUs, this process's CPU seconds), or None where /proc/stat cannot be read."""
    try:
        fields = [int(value) for value in STAT.read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    own = os.times()
    return time.monotonic(), (sum(fields[:8]) - idle) / CLOCK_TICKS, own.user + own.system


def others_busy(earlier: tuple[float, float, float], now: tuple[float, float, float]) -> float:
    """Cores' worth of CPU that other processes used between two samples."""
    wall = now[0] - earlier[0]
    return max(0.0, (now[1] - earlier[1]) - (now[2] - earlier[2])) / wall if wall > 0 else 0.0


def fit_threads() -> int:
    """Before a pass: set torch's thread count to what the machine leaves free now (only inside `pass_threads`)."""
    global _last
    with _lock:
        if not _active:
            return torch.get_num_threads()
        now = _sample()
        if now is None or _last is None:
            _last = now
            return torch.get_num_threads()
        threads = threads_for(cores(), others_busy(_last, now))
        _last = now
    if threads != torch.get_num_threads():
        torch.set_num_threads(threads)
    return threads


@contextmanager
def pass_threads():
    """Around an attribution: its passes (each preceded by `fit_threads`) use the cores that are free."""
    global _active, _restore, _last
    with _lock:
        if not _active:
            _restore = torch.get_num_threads()
            _last = _sample()
        _active += 1
    if _last is not None:
        time.sleep(FIRST_SAMPLE_SECONDS)
    fit_threads()
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if not _active:
                torch.set_num_threads(_restore)
