"""The studio's training loop against a bare PyTorch loop: same model, data, batch, optimizer and shuffle.

- bare: randperm, forward, cross-entropy, zero_grad, backward, step; nothing else.
- fit: `models.training.loop.fit` as the studio runs it: a loss.item() and a Point per step,
  the divergence check, and one validation pass per epoch (counted in its time).
- runner: a whole run through `Runner` with the real SQLite store (points flushed every 0.5 s);
  steps/s from the loop's own clock, and the time from `start()` to the first point readable in the store.

    python -m bench.training [--repeats 3] [--threads 1] [--epochs 2] [--device cpu]

Rounds are interleaved (bare, fit, runner, bare, …) so machine load hits all alike; medians are reported.
Writes bench/out/training.json.
"""
import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from bench.timing import CPU, synchronize
from models.training.config import TrainConfig
from models.training.loop import fit, loss_of, make_optimizer, steps_per_epoch
from models.training.runner import Runner
from models.training.store import RunStore
from models.training.tasks import build_model, load_task

ROOT = Path(__file__).resolve().parent.parent
CASES = [TrainConfig("digits", "mlp", "adam", 3e-3, 32), TrainConfig("digits", "cnn", "adam", 3e-3, 32),
         TrainConfig("seq2seq", "transformer", "adam", 3e-3, 32)]


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
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
