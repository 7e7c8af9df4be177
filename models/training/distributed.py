"""Data-parallel training: one run on several worker processes under torch.distributed, DistributedDataParallel.

Every worker loads the task, builds the model from the run's seed and calls the one loop, `fit`
(models/training/loop.py) through `train_run` (job.py), with a `DataParallel`: each takes its part of every
global mini-batch (config.batch_size examples), DDP all-reduces the gradients, and rank 0 evaluates, reports
the points and keeps the model. Gloo between CPU processes, NCCL between GPUs (one process each).

How the studio runs it (`run`), from the Runner's thread:

    studio ──Popen──> python -m models.training.distributed --launch …    (torchrun: torch.distributed.run.main)
                          └── python -m models.training.distributed …      (one per worker: RANK, WORLD_SIZE, …)

The launcher is torchrun itself, called in a process of its own so that a worker's death comes back as its
ChildFailedError (which worker, its exit code or signal), written to failure.json. Files in a temporary folder
carry the rest: rank 0 appends points to events.jsonl and writes outcome.json; the studio touches `stop` to
stop the run (every worker agrees to stop at the same step); each worker writes rank-<r>.pid. Stopping or
losing the launcher ends every worker: SIGTERM to torchrun (which ends its workers), then SIGKILL to any worker
left, found by its pid file.

Several machines: the same worker module under torchrun on each, see the README ("Training on several workers").
"""
import argparse
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import psutil
import torch
import torch.distributed as dist
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure, record
from torch.nn.parallel import DistributedDataParallel

from models.errors import Phrase
from models.training.config import TrainConfig
from models.training.job import train_run
from models.training.loop import Alone, Outcome, Point

MODULE = "models.training.distributed"
ROOT = Path(__file__).resolve().parents[2]  # the project, put on the workers' PYTHONPATH
EVENTS, OUTCOME, FAILURE, STOP, LOG = "events.jsonl", "outcome.json", "failure.json", "stop", "launcher.log"
POLL_SECONDS = 0.1  # how often the studio reads new points and passes on a stop request
MONITOR_SECONDS = 0.1  # how often torchrun checks its workers
TERMINATE_SECONDS = 15  # after SIGTERM, how long torchrun has to end its workers before SIGKILL
LOG_LINES = 24  # of the launcher's and workers' output, in the message when a worker is killed or the launcher fails
# (enough for the thread stacks Python prints when a worker aborts)
PR_SET_PDEATHSIG = 1  # Linux prctl option: a signal for this process when its parent dies


def available_workers(device: torch.device) -> int:
    """Processes a run can have here: one per GPU on CUDA, one per usable CPU core otherwise (on MPS too: its
    workers train on the CPU)."""
    if device.type == "cuda":
        return torch.cuda.device_count()
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def capped(config: TrainConfig, device: torch.device) -> tuple[TrainConfig, Phrase | None]:
    """`config` with at most `available_workers` workers, and the note saying so when it had asked for more."""
    available = available_workers(device)
    if config.workers <= available:
        return config, None
    return (TrainConfig(**{**asdict(config), "workers": available}),
            Phrase("training.workers_capped_gpus" if device.type == "cuda" else "training.workers_capped_cores",
                   asked=config.workers, available=available))


def free_port() -> int:
    """A localhost port nobody listens on now (the OS picks it), for the workers' rendezvous."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DataParallel(Alone):
    """This worker's part in fit: its rank's slice of each mini-batch, DDP's gradient all-reduce, timed.

    Time in all-reduce is measured, not estimated: a DDP communication hook (`_timed_allreduce`) wraps the default
    all-reduce of each gradient bucket and records when it was launched and when its future completed; the
    union of those intervals (buckets in flight together count once) is added to the time spent in `agree`, the
    small all-reduce of [loss × share, stop] that every step makes. The intervals run beside the rest of
    backward (DDP overlaps them), so they are the time an all-reduce was in flight, including any wait for a
    slower worker: divided by the time in training steps it is `allreduce_share`. On CUDA the NCCL future may
    complete when the collective is queued, so there the share is a lower bound.
    """

    def __init__(self, device: torch.device):
        self.rank, self.world = dist.get_rank(), dist.get_world_size()
        self.device = device
        self._buckets: list[tuple[float, float]] = []  # (launched, completed) of every gradient bucket all-reduce
        self._agreeing = 0.0

    @property
    def allreduce_seconds(self) -> float:
        return self._agreeing + _covered(self._buckets)

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """DDP over `model`; its graph is static (the same parameters take part in every step), which lets DDP
        skip the parameters a model never uses (MiniLM's pooler) without searching the graph at every step."""
        wrapped = DistributedDataParallel(model, device_ids=[self.device.index] if self.device.type == "cuda" else None,
                                          static_graph=True)
        wrapped.register_comm_hook(dist.group.WORLD, self._timed_allreduce)
        return wrapped

    def _timed_allreduce(self, group: dist.ProcessGroup, bucket: dist.GradBucket) -> torch.futures.Future[torch.Tensor]:
        launched = time.perf_counter()

        def completed(future: torch.futures.Future) -> torch.Tensor:
            self._buckets.append((launched, time.perf_counter()))
            return future.value()

        return default_hooks.allreduce_hook(group, bucket).then(completed)

    def part(self, batch: torch.Tensor, terms: Callable[[torch.Tensor], int]) -> tuple[torch.Tensor, float]:
        """This rank's contiguous slice (sizes differ by at most one); a rank left without examples (a batch
        smaller than the world) computes one at weight 0, so it still takes part in the all-reduce."""
        mine = batch.tensor_split(self.world)[self.rank]
        if len(mine) == 0:
            return batch[:1], 0.0
        return mine, terms(mine) / terms(batch)

    def agree(self, weighted_loss: torch.Tensor, stop: bool) -> tuple[float, bool]:
        began = time.perf_counter()
        both = torch.stack([weighted_loss.double(), torch.tensor(float(stop), dtype=torch.float64,
                                                                  device=weighted_loss.device)])
        dist.all_reduce(both)
        self._agreeing += time.perf_counter() - began
        loss, stops = both.tolist()
        return loss, stops > 0

    def gather(self, values: list[float]) -> list[list[float]]:
        mine = torch.tensor(values, dtype=torch.float64, device=self.device)
        every = [torch.empty_like(mine) for _ in range(self.world)]
        dist.all_gather(every, mine)
        return [tensor.tolist() for tensor in every]


def _covered(intervals: list[tuple[float, float]]) -> float:
    """Seconds covered by the union of (start, end) intervals."""
    total, reached = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reached:
            total += end - max(start, reached)
            reached = end
    return total


# ---- the studio's side --------------------------------------------------------------------------------------

def run(run_id: int, config: TrainConfig, device: torch.device, started: Callable[[int], None],
        on_point: Callable[[Point], None], should_stop: Callable[[], bool]) -> tuple[Outcome, str | None]:
    """Train run `run_id` on config.workers processes (already capped); the same callbacks and result as
    job.train_run. Returns once every worker process has ended, whatever happened."""
    with tempfile.TemporaryDirectory(prefix="studio-workers-") as temporary:
        folder = Path(temporary)
        workers_device = "cuda" if device.type == "cuda" else "cpu"  # an MPS studio's workers run on the CPU
        command = [sys.executable, "-m", MODULE, "--launch", "--config", config.to_json(), "--run-id", str(run_id),
                   "--device", workers_device, "--out", str(folder)]
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                                   os.environ.get("PYTHONPATH")]))}
        with open(folder / LOG, "wb") as log:
            launcher = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                                        start_new_session=True)
        events = _Events(folder / EVENTS, started, on_point)
        try:
            while launcher.poll() is None:
                events.read()
                if should_stop():
                    (folder / STOP).touch()
                time.sleep(POLL_SECONDS)
        finally:
            _end_all(launcher, folder)
        events.read()
        return _result(launcher.returncode, folder, config)


class _Events:
    """Rank 0's events.jsonl, read as it grows: {"total_steps": n} once, then {"point": {...}} per point."""

    def __init__(self, path: Path, started: Callable[[int], None], on_point: Callable[[Point], None]):
        self.path, self.started, self.on_point = path, started, on_point
        self.offset = 0

    def read(self) -> None:
        if not self.path.exists():
            return
        with open(self.path, "rb") as file:
            file.seek(self.offset)
            written = file.read()
        complete = written[:written.rfind(b"\n") + 1]  # a line still being written waits for the next read
        self.offset += len(complete)
        for line in complete.decode().splitlines():
            event = json.loads(line)
            if "total_steps" in event:
                self.started(event["total_steps"])
            else:
                self.on_point(Point(**event["point"]))


def _end_all(launcher: subprocess.Popen, folder: Path) -> None:
    """Nothing of the run left running: torchrun asked to end its workers, then any worker still there killed."""
    if launcher.poll() is None:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(TERMINATE_SECONDS)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait()
    left = []
    for pid_file in folder.glob("rank-*.pid"):
        try:
            worker = psutil.Process(int(pid_file.read_text()))
            if str(folder) in worker.cmdline():  # not a process that took a dead worker's pid
                worker.kill()
                left.append(worker)
        except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
            continue
    psutil.wait_procs(left, timeout=TERMINATE_SECONDS)


def _result(returncode: int, folder: Path, config: TrainConfig) -> tuple[Outcome, str | None]:
    if returncode == 0 and (folder / OUTCOME).is_file():
        ended = json.loads((folder / OUTCOME).read_text())
        message = ended["message"] and Phrase(ended["message"]["key"], **ended["message"]["values"])
        return Outcome(ended["status"], ended["steps"], ended["total_steps"], ended["metrics"], message), \
            ended["saved_model"]
    log = " / ".join((folder / LOG).read_text(errors="replace").strip().splitlines()[-LOG_LINES:])
    if (folder / FAILURE).is_file():
        failure = json.loads((folder / FAILURE).read_text())
        if failure["signal"]:  # a worker that aborts says why only in its output (a C++ exception, a fatal error)
            message = Phrase("training.worker_killed", rank=failure["rank"], workers=config.workers,
                             pid=failure["pid"], signal=failure["signal"], log=log)
        else:
            message = Phrase("training.worker_failed", rank=failure["rank"], workers=config.workers,
                             pid=failure["pid"], code=failure["exitcode"], error=failure["error"])
    else:
        message = Phrase("training.workers_lost", code=returncode, log=log)
    return Outcome("failed", 0, 0, {}, message), None


# ---- the launcher and the workers (this module run as a program) ---------------------------------------------

def _launch(options: argparse.Namespace) -> int:
    """torchrun with config.workers local workers; a failed worker is written to failure.json: the cause, as
    `_cause` picks it among the workers that ended badly."""
    from torch.distributed import run as torchrun

    if sys.platform == "linux":  # the studio killed: SIGTERM here, and torchrun ends its workers
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    workers = TrainConfig.from_json(options.config).workers
    if options.device == "cpu":  # one core each: two workers on two cores do not fight over threads
        os.environ["OMP_NUM_THREADS"] = str(max(1, available_workers(torch.device("cpu")) // workers))
    worker = ["-m", MODULE, "--config", options.config, "--run-id", str(options.run_id), "--device", options.device,
              "--out", options.out]
    try:
        torchrun.main(["--nnodes=1", f"--nproc-per-node={workers}", "--master-addr=127.0.0.1",
                       f"--master-port={free_port()}", "--max-restarts=0", f"--monitor-interval={MONITOR_SECONDS}",
                       *worker])
    except ChildFailedError as error:
        rank, failure = min(error.failures.items(), key=_cause)
        message = failure.message["message"] if isinstance(failure.message, dict) else failure.message
        (Path(options.out) / FAILURE).write_text(json.dumps(
            {"rank": rank, "pid": failure.pid, "exitcode": failure.exitcode,
             "signal": failure.signal_name() if failure.exitcode < 0 else None, "error": message}))
        return 1
    return 0


def _cause(item: tuple[int, ProcessFailure]) -> tuple[int, float]:
    """Sort key, the cause first: a worker killed from outside (a signal other than the SIGTERM torchrun sends the
    rest), then one that failed by itself (its exception; the others then fail on the broken connection), then
    the ones torchrun ended; the earliest within each."""
    exitcode = item[1].exitcode
    return (0 if exitcode < 0 and exitcode != -signal.SIGTERM else 1 if exitcode > 0 else 2), item[1].timestamp


@record  # a worker's exception reaches the launcher's ChildFailedError with its message
def _work(options: argparse.Namespace) -> int:
    """One worker, as torchrun starts it (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT set)."""
    rank, local_rank = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"rank-{rank}.pid").write_text(str(os.getpid()))
    cuda = options.device == "cuda"
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if cuda else "gloo")
    try:
        config = TrainConfig.from_json(options.config)
        with open(out / EVENTS, "a", encoding="utf-8") if rank == 0 else open(os.devnull, "w") as events:
            def write(event: dict) -> None:
                events.write(json.dumps(event) + "\n")
                events.flush()

            outcome, saved_model = train_run(
                options.run_id, config, device, lambda total: write({"total_steps": total}),
                lambda point: write({"point": asdict(point)}), (out / STOP).exists if rank == 0 else lambda: False,
                DataParallel(device))
        if rank == 0:
            message = outcome.message and {"key": outcome.message.key, "values": outcome.message.values}
            written = out / f"{OUTCOME}.part"
            written.write_text(json.dumps({**asdict(outcome), "message": message, "saved_model": saved_model}))
            written.rename(out / OUTCOME)
        # Every rank tears down together: a rank that exits while another is still between its last collective
        # and its own teardown closes the connection under that rank's gloo thread, which can abort it (SIGABRT
        # in a thread with no Python frame, twice in full suites, rank 0 writing outcome.json at the time).
        dist.barrier()
    finally:
        dist.destroy_process_group()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train one run on torch.distributed workers (see the module doc).")
    parser.add_argument("--config", required=True, help="the run's TrainConfig as JSON, e.g. '{\"workers\": 2}'")
    parser.add_argument("--out", required=True, help="folder for events.jsonl and outcome.json (rank 0)")
    parser.add_argument("--run-id", type=int, default=0, help="the run's id: a kept model is saved as run-<id>")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--launch", action="store_true", help="start config.workers local workers with torchrun")
    options = parser.parse_args(argv)
    return _launch(options) if options.launch else _work(options)


if __name__ == "__main__":
    sys.exit(main())
