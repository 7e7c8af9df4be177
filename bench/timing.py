"""Timing shared by the benchmarks: interleaved rounds and medians, so load from other processes
slows every contender alike, and a CUDA sync before each clock read so queued kernels are counted."""
import statistics
import time
from collections.abc import Callable

import torch

CPU = torch.device("cpu")


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds(call: Callable[[], object], device: torch.device = CPU) -> tuple[float, object]:
    """(wall seconds, result) of one call."""
    synchronize(device)
    started = time.perf_counter()
    result = call()
    synchronize(device)
    return time.perf_counter() - started, result


def interleaved_medians(calls: dict[str, Callable[[], object]], repeats: int,
                        device: torch.device = CPU, warm_up: bool = True
                        ) -> tuple[dict[str, float], dict[str, object]]:
    """Warm every call up once (unless the caller did), then run `repeats` rounds of all of them in turn.
    Returns (median seconds per call, each call's last result)."""
    results = {name: call() for name, call in calls.items()} if warm_up else {}
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            elapsed, results[name] = seconds(call, device)
            timings[name].append(elapsed)
    return {name: statistics.median(values) for name, values in timings.items()}, results
