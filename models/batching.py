"""Micro-batching: model calls that arrive together run as one batch (one forward, one batched `generate`).

A caller hands its request to the model's `Batcher` and waits. The batcher's worker thread takes the oldest
waiting request with the others waiting beside it (those with the same key: the same options, so one call can
serve them all), runs up to `most` of them as one call and hands each caller its own result. Requests that
arrive while a batch runs wait for it and form the next batch; a request that finds the worker idle runs at
once (a batcher made with `wait_seconds` gives others that long from its arrival to join it). One worker per
batcher by default, so one batch of a model runs at a time (`workers` more where a call leaves a core idle: the
live decoder's); a worker ends after IDLE_SECONDS without work and starts again with the next request (a model
that is let go takes no thread with it). A slow model's batcher runs its workers at a lower OS priority (`niceness`,
Linux): on a small CPU a fast model's batch then gets a core as soon as it has work, instead of an equal share beside
the slow model's (a transcription's seconds of CPU), and the slow model still has every core the others leave idle.

Faults stay with their request: a request whose caller gave up (its future cancelled) before its batch started
is left out, and a batch whose call fails is run again one request at a time, so only the request that fails
hears of it.
"""
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

# How long the first request of a batch waits for others to join it: not at all. Under load the requests that
# arrive while a batch runs make the next batch anyway; a lone request's wait (15 ms before) was a third of an
# image classification's time.
WAIT_SECONDS = 0.0
MOST_PER_BATCH = 8  # more rows than this gain little on a CPU and hold every caller for longer
IDLE_SECONDS = 5.0  # the worker thread ends after this long without a request
# Added to the nice value of a slow model's workers: Linux then gives a fast model's thread about nine times their
# CPU share while both want it.
SLOW_MODEL_NICENESS = 10


@dataclass(frozen=True, eq=False)  # compared by identity: a request may hold tensors
class Waiting:
    """A request in the queue, with when it came (time.monotonic) and the future its caller waits on."""
    request: Any
    key: Hashable
    arrived: float
    future: Future = field(default_factory=Future)


class Batcher:
    """`run(requests) -> results` (one result per request, in order) called on batches of requests with one key."""

    def __init__(self, run: Callable[[list], list], key: Callable[[Any], Hashable] = lambda request: None,
                 most: int = MOST_PER_BATCH, wait_seconds: float = WAIT_SECONDS, name: str = "batcher",
                 workers: int = 1, niceness: int = 0):
        """`niceness`: added to each worker thread's nice value (Linux; 0 leaves it as it is)."""
        self.run, self.key, self.most, self.wait_seconds, self.name = run, key, most, wait_seconds, name
        self.workers, self.niceness = workers, niceness
        self._waiting: list[Waiting] = []
        self._changed = threading.Condition()  # guards _waiting and _running
        self._running = 0  # worker threads alive
        self.batch_sizes: list[int] = []  # every batch run so far, for the bench and tests

    def __call__(self, request):
        """The request's result, once its batch has run (its exception if it failed)."""
        return self.submit(request).result()

    def submit(self, request) -> Future:
        """Queue the request; cancelling the future before its batch starts leaves it out."""
        with self._changed:
            waiting = Waiting(request, self.key(request), time.monotonic())
            self._waiting.append(waiting)
            if self._running < self.workers:
                self._running += 1
                threading.Thread(target=self._work, daemon=True, name=f"{self.name}-{self._running}").start()
            self._changed.notify_all()
        return waiting.future

    def _work(self) -> None:
        if self.niceness:
            lower_this_threads_priority(self.niceness)
        while batch := self._next_batch():
            started = [waiting for waiting in batch if waiting.future.set_running_or_notify_cancel()]
            if started:
                self.batch_sizes.append(len(started))
                self._run(started)

    def _next_batch(self) -> list[Waiting]:
        """The next batch: the oldest request and up to `most` - 1 more of its key, once they are `most` or its
        wait is over; empty after IDLE_SECONDS without a request (the worker then ends)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._waiting, IDLE_SECONDS):
                self._running -= 1
                return []
            first = self._waiting[0]
            def joined() -> list[Waiting]:
                return [waiting for waiting in self._waiting if waiting.key == first.key][:self.most]
            self._changed.wait_for(lambda: len(joined()) >= self.most,
                                   max(0.0, first.arrived + self.wait_seconds - time.monotonic()))
            batch = joined()
            self._waiting = [waiting for waiting in self._waiting if waiting not in batch]
            return batch

    def _run(self, batch: list[Waiting]) -> None:
        try:
            results = self.run([waiting.request for waiting in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{self.name}: {len(results)} results for {len(batch)} requests")
        except Exception as error:  # noqa: BLE001 (alone, the request fails with its own error; together, retried)
            if len(batch) == 1:
                batch[0].future.set_exception(error)
                return
            for waiting in batch:
                self._run([waiting])
            return
        for waiting, result in zip(batch, results):
            waiting.future.set_result(result)


def batcher_of(owner: object, name: str, run: Callable[[list], list],
               key: Callable[[Any], Hashable] = lambda request: None, **options) -> Batcher:
    """`owner`'s batcher named `name` (made on first use and kept on the owner, so it goes with the model); `options`
    are Batcher's (`niceness`, ...)."""
    with _OWNERS_LOCK:
        batchers = owner.__dict__.setdefault("_batchers", {})
        if name not in batchers:
            batchers[name] = Batcher(run, key, name=f"{type(owner).__name__}-{name}", **options)
        return batchers[name]


def lower_this_threads_priority(niceness: int) -> None:
    """Add `niceness` to the calling thread's nice value, on Linux (where it is per thread; elsewhere setpriority would
    take the thread id for a process id). Threads it starts later, such as torch's OpenMP team, inherit it."""
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    # a refusal (a sandbox's seccomp) leaves the priority as it was rather than the worker dead and its callers waiting
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + niceness)


_OWNERS_LOCK = threading.Lock()
