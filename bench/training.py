"""The studio's training loop against a bare PyTorch loop: same model, data, batch, optimizer and shuffle.

- bare: randperm, forward, cross-entropy, zero_grad, backward, step; nothing else.
- fit: `models.training.loop.fit` as the studio runs it: a loss.item() and a Point per step,
  the divergence check, and one validation pass per epoch (counted in its time).
- runner: a whole run through `Runner` with the real SQLite store (points flushed every 0.5 s);
  steps/s from the loop's own clock, and the time from `start()` to the first point readable in the store.

    python -m bench.training [--repeats 3] [--threads 1] [--epochs 2] [--device cpu]

Rounds are interleaved (bare, fit, runner, bare, …) so machine load hits all alike; medians are reported.
Writes bench/out/training.json.

Data-parallel scaling, 1 → 2 CPU workers (`--scaling`): the same run (same global batch, seed, epochs) as one
worker in this process on 1 and on 2 torch threads, and as 2 torchrun/gloo worker processes of 1 thread each
(models/training/distributed.py). Throughput is examples/s over the training steps (fit's clock, validation
excluded), summed over the workers; efficiency = 2-worker throughput ÷ (2 × one worker on 1 thread), the
classic scaling figure; `× 2 threads` compares with what one process already gets from both cores. The
all-reduce share is the workers' measured time in all-reduce ÷ their time in steps (DataParallel's docstring).

    python -m bench.training --scaling [--repeats 3] [--record]

Writes bench/out/training_scaling.json; --record merges its keys (train_ddp_*) into bench/results.json,
leaving every other key as it is.
"""
import argparse
import json
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from bench.timing import CPU, synchronize
from models.training import distributed
from models.training.config import TrainConfig
from models.training.loop import fit, loss_of, make_optimizer, steps_per_epoch
from models.training.runner import Runner
from models.training.store import RunStore
from models.training.tasks import build_model, load_task

ROOT = Path(__file__).resolve().parent.parent
CASES = [TrainConfig("digits", "mlp", "adam", 3e-3, 32), TrainConfig("digits", "cnn", "adam", 3e-3, 32),
         TrainConfig("seq2seq", "transformer", "adam", 3e-3, 32)]
# a step of a few hundred microseconds (all-reduce-bound), and one with enough work per step to share
SCALING_CASES = [TrainConfig("digits", "mlp", "adam", 3e-3, 32, epochs=3),
                 TrainConfig("digits", "cnn", "adam", 3e-3, 256, epochs=3)]
SCALING_WORKERS = 2
RESULTS_JSON = ROOT / "bench" / "results.json"


def prepared(config: TrainConfig, device: torch.device, examples: int | None = None):
    """(model, train, validation) on `device`; `examples` keeps the first n of the training split."""
    train, validation = load_task(config.task).split(config.validation_split, config.seed)
    if examples is not None:
        train = train.subset(torch.arange(min(examples, len(train))))
    torch.manual_seed(config.seed)
    return build_model(config.task, config.variant, train).to(device), train.to(device), validation.to(device)


def bare_steps_per_second(config: TrainConfig, device: torch.device = CPU, examples: int | None = None) -> float:
    model, train, _ = prepared(config, device, examples)
    optimizer = make_optimizer(config, model)
    generator = torch.Generator().manual_seed(config.seed)
    model.train()
    steps = 0
    synchronize(device)
    started = time.perf_counter()
    for _ in range(config.epochs):
        for batch in torch.randperm(len(train), generator=generator).to(device).split(config.batch_size):
            loss = loss_of(model(*(tensor[batch] for tensor in train.inputs)), train.targets[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += 1
    synchronize(device)
    return steps / (time.perf_counter() - started)


def fit_steps_per_second(config: TrainConfig, device: torch.device = CPU, examples: int | None = None) -> float:
    model, train, validation = prepared(config, device, examples)
    points = []
    outcome = fit(model, train, validation, config, points.append)
    return outcome.steps / outcome.metrics["seconds"]


def runner_round(config: TrainConfig, runner: Runner) -> tuple[float, float]:
    """(steps/s, seconds from start() to the first point in the store)."""
    started = time.perf_counter()
    run_id = runner.start(config)
    while not runner.store.points(run_id):
        time.sleep(0.005)
    first_point = time.perf_counter() - started
    state = runner.wait(run_id)
    return state.step / runner.store.run(run_id).metrics["seconds"], first_point


def measure(config: TrainConfig, runner: Runner, repeats: int) -> dict:
    """Median steps/s of the bare loop, fit() and a Runner run, in interleaved rounds, and the first point's delay."""
    device = runner.device
    bare_steps_per_second(config, device)  # warm-up: first calls allocate and pick kernels
    rounds = [(bare_steps_per_second(config, device), fit_steps_per_second(config, device),
               *runner_round(config, runner)) for _ in range(repeats)]
    bare, fitted, through_runner, first_point = (statistics.median(column) for column in zip(*rounds))
    return {"task": config.task, "variant": config.variant, "batch_size": config.batch_size, "epochs": config.epochs,
            "bare": bare, "fit": fitted, "runner": through_runner, "first_point_seconds": first_point}


def growth(config: TrainConfig, sizes: list[int], device: torch.device = CPU) -> dict:
    """Seconds per epoch against training examples, bare loop and the studio's fit()."""
    bare_steps_per_second(config, device, sizes[0])  # warm-up
    per_epoch = {"bare": [], "studio fit": []}
    for size in sizes:
        steps = steps_per_epoch(size, config.batch_size)
        per_epoch["bare"].append(steps / bare_steps_per_second(config, device, size))
        per_epoch["studio fit"].append(steps / fit_steps_per_second(config, device, size))
    return per_epoch


def examples_per_second(config: TrainConfig, threads: int) -> float:
    """One worker in this process on `threads` torch threads: examples/s over its training steps."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        model, train, validation = prepared(config, CPU)
        return fit(model, train, validation, config).metrics["examples_per_second"][0]
    finally:
        torch.set_num_threads(previous)


def workers_metrics(config: TrainConfig) -> dict:
    """The metrics of the run on SCALING_WORKERS worker processes (examples/s per worker, all-reduce share)."""
    outcome, _ = distributed.run(0, replace(config, workers=SCALING_WORKERS), CPU, lambda total: None,
                                 lambda point: None, lambda: False)
    if outcome.status != "finished":
        raise RuntimeError(f"the {SCALING_WORKERS}-worker run {outcome.status}: {outcome.message}")
    return outcome.metrics


def scaling(config: TrainConfig, repeats: int) -> dict:
    """Medians over interleaved rounds (1 thread, 2 threads, 2 workers) of examples/s and the all-reduce share."""
    examples_per_second(config, 1)  # warm-up
    rounds = []
    for _ in range(repeats):
        one_thread, two_threads = examples_per_second(config, 1), examples_per_second(config, 2)
        metrics = workers_metrics(config)
        rounds.append((one_thread, two_threads, sum(metrics["examples_per_second"]), metrics["allreduce_share"]))
    one_thread, two_threads, workers, share = (statistics.median(column) for column in zip(*rounds))
    return {"task": config.task, "variant": config.variant, "batch_size": config.batch_size,
            "epochs": config.epochs, "one_worker_1_thread": one_thread, "one_worker_2_threads": two_threads,
            "two_workers": workers, "efficiency": workers / (SCALING_WORKERS * one_thread),
            "speedup_vs_2_threads": workers / two_threads, "allreduce_share": share}


def scaling_keys(rows: list[dict]) -> dict[str, float]:
    """The flat keys of results.json: train_ddp_<figure>_<task>_<variant>."""
    keys = {}
    for row in rows:
        case = f"{row['task']}_{row['variant']}"
        keys |= {f"train_ddp_efficiency_{case}": row["efficiency"],
                 f"train_ddp_speedup_vs_2_threads_{case}": row["speedup_vs_2_threads"],
                 f"train_ddp_allreduce_share_{case}": row["allreduce_share"]}
    return keys


def merge_into_results(keys: dict[str, float], details: dict, path: Path = RESULTS_JSON) -> None:
    """Add `keys` and details["training_scaling"] to results.json; every other key stays as it was."""
    results = json.loads(path.read_text(encoding="utf-8"))
    results.update(keys)
    results.setdefault("details", {})["training_scaling"] = details
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def scaling_main(repeats: int, record: bool) -> None:
    rows = [scaling(config, repeats) for config in SCALING_CASES]
    print("| task | model | batch | 1 worker, 1 thread | 1 worker, 2 threads | 2 workers | efficiency | "
          "× 2 threads | all-reduce share |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['task']} | {r['variant']} | {r['batch_size']} | {r['one_worker_1_thread']:.0f} | "
              f"{r['one_worker_2_threads']:.0f} | {r['two_workers']:.0f} | {r['efficiency']:.2f} | "
              f"{r['speedup_vs_2_threads']:.2f} | {r['allreduce_share']:.0%} |")
    details = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "repeats": repeats,
               "load_average": os.getloadavg(), "results": rows}
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "training_scaling.json").write_text(json.dumps(details, indent=2))
    if record:
        merge_into_results(scaling_keys(rows), details)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--scaling", action="store_true", help="1 -> 2 CPU workers instead (see the module doc)")
    parser.add_argument("--record", action="store_true", help="with --scaling: merge its keys into results.json")
    args = parser.parse_args()
    if args.scaling:
        scaling_main(args.repeats, args.record)
        return
    torch.set_num_threads(args.threads)
    runner = Runner(RunStore(Path(tempfile.mkdtemp(prefix="bench-training-"))), torch.device(args.device))
    results = [measure(replace(case, epochs=args.epochs), runner, args.repeats) for case in CASES]
    runner.close()
    print("| task | model | batch | bare steps/s | fit steps/s | × bare | runner steps/s | × bare | first point (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['task']} | {r['variant']} | {r['batch_size']} | {r['bare']:.0f} | {r['fit']:.0f} | "
              f"{r['fit'] / r['bare']:.2f} | {r['runner']:.0f} | {r['runner'] / r['bare']:.2f} | "
              f"{r['first_point_seconds']:.2f} |")
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "training.json").write_text(json.dumps(
        {"threads": args.threads, "repeats": args.repeats, "results": results}, indent=2))


if __name__ == "__main__":
    main()
