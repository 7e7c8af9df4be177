"""Data-parallel runs on real worker processes (torchrun, gloo): the same losses as one process, a killed or
stopped run leaves nothing running, workers capped at the machine's cores."""
import time

import psutil
import pytest
import torch

from models.errors import Phrase
from models.training import distributed
from models.training.config import TrainConfig
from models.training.runner import Runner
from studio.common import in_user_language

COMPARED_STEPS = 20  # the goal: the first 20 steps of 1 and 2 workers agree to 1e-4
TOLERANCE = 1e-4
WAIT_SECONDS = 240  # a 2-worker run starts three Python processes: seconds each on the loaded 2-core CPU


def train_losses(runner: Runner, run_id: int) -> list[float]:
    return [point.loss for point in runner.store.points(run_id) if point.split == "train"]


def worker_processes() -> list[psutil.Process]:
    """This test's processes of distributed runs: the torchrun launcher and its workers."""
    return [process for process in psutil.Process().children(recursive=True)
            if distributed.MODULE in " ".join(process.cmdline())]


def children() -> set[int]:
    """This test process's descendants (the session's app and browser among them, when other tests started them)."""
    return {process.pid for process in psutil.Process().children(recursive=True)}


def wait_for_points(runner: Runner, run_id: int, count: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while len(runner.store.points(run_id)) < count:
        assert time.monotonic() < deadline and not runner.state(run_id).done.is_set(), runner.state(run_id)
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("task, variant, batch_size", [
    ("digits", "mlp", 32),
    ("seq2seq", "lstm", 33),  # unequal parts (17 + 16 examples) with padded token targets: weighted by tokens
])
def test_two_workers_give_the_losses_of_one_with_the_same_global_batch(runner, task, variant, batch_size):
    configs = [TrainConfig(task, variant, "adam", 1e-2, batch_size, epochs=1, workers=workers) for workers in (1, 2)]
    alone, shared = (runner.start(config) for config in configs)
    for run_id in (alone, shared):
        assert runner.wait(run_id, WAIT_SECONDS).status == "finished", runner.state(run_id).message
    one, two = train_losses(runner, alone), train_losses(runner, shared)
    assert len(one) == len(two) >= COMPARED_STEPS
    assert max(abs(a - b) for a, b in zip(one[:COMPARED_STEPS], two[:COMPARED_STEPS])) < TOLERANCE
    run = runner.store.run(shared)
    assert run.config.workers == run.metrics["world_size"] == 2
    assert len(run.metrics["examples_per_second"]) == 2 and min(run.metrics["examples_per_second"]) > 0
    assert 0 < run.metrics["allreduce_share"] < 1
    assert worker_processes() == []


@pytest.mark.slow
def test_a_killed_worker_fails_the_run_with_the_reason_and_leaves_nothing_running(runner):
    before = children()
    run_id = runner.start(TrainConfig("digits", "mlp", "adam", 1e-3, 32, epochs=400, workers=2))
    wait_for_points(runner, run_id, 5)
    workers = [process for process in worker_processes() if "--launch" not in process.cmdline()]
    assert len(workers) == 2
    workers[1].kill()
    state = runner.wait(run_id, WAIT_SECONDS)
    assert state.status == "failed" and runner.store.run(run_id).status == "failed"
    assert state.message.key == "training.worker_killed"
    assert state.message.values["pid"] == workers[1].pid and state.message.values["signal"] == "SIGKILL"
    assert f"process {workers[1].pid}) was killed (SIGKILL)" in in_user_language(state.message)
    assert f"(pid: {workers[1].pid})" in state.message.values["log"], "the message ends with the workers' last output"
    assert children() <= before, "a process of the run is left"


@pytest.mark.slow
def test_stopping_a_run_stops_every_worker_at_the_same_step(runner):
    before = children()
    run_id = runner.start(TrainConfig("digits", "mlp", "adam", 1e-3, 32, epochs=400, workers=2))
    wait_for_points(runner, run_id, 5)
    runner.stop(run_id)
    state = runner.wait(run_id, WAIT_SECONDS)
    assert state.status == "stopped" and state.message.key == "training.stopped_after"
    assert state.message.values["steps"] == len(train_losses(runner, run_id))
    assert children() <= before, "a process of the run is left"


def test_workers_beyond_the_cores_are_capped_with_a_message(runner, monkeypatch):
    config, note = distributed.capped(TrainConfig(workers=64), torch.device("cpu"))
    assert config.workers == distributed.available_workers(torch.device("cpu")) < 64
    assert note == Phrase("training.workers_capped_cores", asked=64, available=config.workers)
    assert distributed.capped(config, torch.device("cpu")) == (config, None)

    monkeypatch.setattr(distributed, "available_workers", lambda device: 1)  # so the capped run trains here
    run_id = runner.start(TrainConfig("digits", "mlp", "adam", 1e-2, 64, epochs=1, workers=3))
    state = runner.wait(run_id, WAIT_SECONDS)
    assert state.status == "finished" and state.config.workers == runner.store.run(run_id).config.workers == 1
    assert runner.store.run(run_id).message == state.message == Phrase("training.workers_capped_cores", asked=3,
                                                                        available=1)
    assert in_user_language(state.message) == "Asked for 3 workers, but this machine has 1 CPU cores: the run uses 1."


def test_a_record_from_before_workers_loads_as_one_worker():
    assert TrainConfig.from_json('{"task": "digits", "variant": "cnn", "epochs": 3}').workers == 1
    assert TrainConfig.from_json(TrainConfig(workers=2).to_json()).workers == 2
