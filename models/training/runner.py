"""Runs training off the request thread: one run at a time per process, the rest wait in a queue."""
import logging
import queue
import threading
import time
from dataclasses import dataclass, field

import torch

from models.errors import Phrase
from models.training import distributed
from models.training.config import TrainConfig
from models.training.job import train_run
from models.training.loop import Point
from models.training.store import RunStore
from models.training.tasks import load_task

FLUSH_SECONDS = 0.5  # how often points reach the store: the curves update live, SQLite is not hit per step
log = logging.getLogger("studio.training")


@dataclass
class RunState:
    run_id: int
    config: TrainConfig
    status: str = "queued"  # then running, and finished, stopped, diverged or failed
    step: int = 0
    total_steps: int = 0
    seconds: float = 0.0  # training time so far
    message: Phrase | None = None  # why it ended as it did; until then, a note on its settings (workers capped)
    saved_model: str | None = None  # the key of the model it saved, for tasks whose models can be used
    stop_requested: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def eta_seconds(self) -> float | None:
        if self.status != "running" or self.step == 0:
            return None
        return self.seconds / self.step * (self.total_steps - self.step)


class Runner:
    def __init__(self, store: RunStore, device: torch.device = torch.device("cpu")):
        self.store = store
        self.device = device
        self._states: dict[int, RunState] = {}
        self._queue: queue.Queue[RunState | None] = queue.Queue()
        self._worker = threading.Thread(target=self._work, name="training", daemon=True)
        self._worker.start()

    def start(self, config: TrainConfig) -> int:
        """Check `config` (InputError if it is wrong), cap its workers at what this machine has, store the run
        and queue it; returns the run id."""
        config.validate()  # an unknown task gets its message before load_task looks it up
        config, note = distributed.capped(config.validate(len(load_task(config.task, config.dataset))), self.device)
        run_id = self.store.create_run(config)
        state = RunState(run_id, config, message=note)
        self._states[run_id] = state
        self._queue.put(state)
        return run_id

    def stop(self, run_id: int) -> None:
        """Ask a queued or running run to stop; harmless if it already ended or is unknown."""
        state = self._states.get(run_id)
        if state is not None:
            state.stop_requested.set()

    def state(self, run_id: int) -> RunState | None:
        return self._states.get(run_id)

    def wait(self, run_id: int, timeout: float | None = None) -> RunState:
        state = self._states[run_id]
        state.done.wait(timeout)
        return state

    def close(self) -> None:
        """End the worker after the queued runs; for scripts that exit once they are done."""
        self._queue.put(None)
        self._worker.join()

    def _work(self) -> None:
        while (state := self._queue.get()) is not None:
            try:
                if state.stop_requested.is_set():
                    self._end(state, "stopped", {}, Phrase("training.stopped_before_start"))
                else:
                    self._train(state)
            except Exception as error:  # a bug or out of memory must not kill the worker or leave "running"
                log.exception("training run %s failed", state.run_id)
                self._end(state, "failed", {}, Phrase("training.failed", error=f"{type(error).__name__}: {error}"))

    def _train(self, state: RunState) -> None:
        """One worker trains here; several, in their own processes (models/training/distributed.py)."""
        config = state.config
        state.status = "running"
        self.store.set_status(state.run_id, "running")
        pending: list[Point] = []
        last_flush = time.monotonic()

        def started(total_steps: int) -> None:
            state.total_steps = total_steps

        def on_point(point: Point) -> None:
            nonlocal last_flush
            state.step, state.seconds = point.step, point.seconds
            pending.append(point)
            if point.split == "validation" or time.monotonic() - last_flush > FLUSH_SECONDS:
                self.store.add_points(state.run_id, pending)
                pending.clear()
                last_flush = time.monotonic()

        train = train_run if config.workers == 1 else distributed.run
        outcome, state.saved_model = train(state.run_id, config, self.device, started, on_point,
                                           state.stop_requested.is_set)
        if pending:
            self.store.add_points(state.run_id, pending)
        self._end(state, outcome.status, outcome.metrics, outcome.message)

    def _end(self, state: RunState, status: str, metrics: dict, message: Phrase | None) -> None:
        """`message`, or when the run has nothing to say about its end, its note (the workers capped)."""
        message = message or state.message
        self.store.set_status(state.run_id, status, metrics, message)
        state.status, state.message = status, message
        state.done.set()
