"""Fine-tuning SmolLM2-135M with LoRA (task lm-lora) on this machine: does a default run lower held-out perplexity
within the goal's five minutes, how much memory it takes, and the studio's step against a bare peft loop.

- run: one whole lm-lora run through `Runner` (the default text, bbc-tech; the task's default settings), first in
  a fresh process so its peak RSS (ru_maxrss) is the run's: wall minutes from start() to the end, the process's
  CPU minutes (on a machine shared with other work, CPU minutes / threads is closer to what a quiet one takes),
  and held-out perplexity of the original (the same passages) and of the fine-tuned model (exp of the last
  validation loss).
- steps: seconds per step of `fit` (the studio's loop on the task's FineTunedLM) and of a bare loop (transformers'
  model + peft's get_peft_model with the same LoRA config, forward, cross-entropy, zero_grad, backward, AdamW step;
  nothing else) on the same passages, batch and shuffle; rounds interleaved, medians; ratio = bare / fit (1: as
  fast as bare, the goal is >= 0.9). fit's time is to its last train point (its validation pass excluded).
  Every other round runs fit first.

    python -m bench.finetune [--steps 6] [--repeats 2] [--learning-rate 2e-3] [--variants lora-16,last-layers]
                             [--runs-only] [--record]

--variants adds a whole run of each other variant (same text and settings) after the lora-4 run.

Writes bench/out/finetune.json; --record merges its keys (finetune_*) into bench/results.json.
"""
import argparse
import json
import math
import os
import resource
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

from models.training.config import TrainConfig
from models.training.loop import fit
from models.training.runner import Runner
from models.training.store import RunStore
from models.training.tasks import TASKS, build_model, load_task
from models.training.lora import lora_config
from models.training.tasks.lm_lora import DEFAULTS, LORA_TARGETS, token_loss

ROOT = Path(__file__).resolve().parent.parent
RUN = TrainConfig("lm-lora", "lora-4", DEFAULTS.optimizer, DEFAULTS.learning_rate, DEFAULTS.batch_size,
                  DEFAULTS.epochs)
GOAL_MINUTES = 5
RESULTS_JSON = ROOT / "bench" / "results.json"


def whole_run(config: TrainConfig = RUN) -> dict:
    """One run through the Runner (a throw-away data folder for the store; the converted model is reused)."""
    train, validation = load_task(config.task, config.dataset).split(config.validation_split, config.seed)
    torch.manual_seed(config.seed)
    before = token_loss(build_model(config.task, config.variant, train).network, validation)[0]
    with tempfile.TemporaryDirectory() as folder:
        runner = Runner(RunStore(Path(folder)))
        started, cpu_started = time.perf_counter(), time.process_time()
        state = runner.wait(runner.start(config))
        minutes, cpu_minutes = (time.perf_counter() - started) / 60, (time.process_time() - cpu_started) / 60
        metrics = runner.store.run(state.run_id).metrics
        curve = [math.exp(point.loss) for point in runner.store.points(state.run_id) if point.split == "validation"]
        runner.close()
    if state.status != "finished":
        raise RuntimeError(f"the run {state.status}: {state.message}")
    return {"status": state.status, "minutes": minutes, "cpu_minutes": cpu_minutes, "steps": state.step,
            "train_passages": len(train), "held_out_passages": len(validation), "perplexity_before": math.exp(before),
            "perplexity_after": math.exp(metrics["validation_loss"]), "perplexity_per_epoch": curve,
            "training_seconds": metrics["seconds"],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def passages(config: TrainConfig, steps: int):
    """The first `steps` batches' worth of the training split, and the validation split."""
    train, validation = load_task(config.task, config.dataset).split(config.validation_split, config.seed)
    return train.subset(torch.arange(min(len(train), steps * config.batch_size))), validation


def bare_step_seconds(config: TrainConfig, steps: int) -> float:
    """Median seconds per step of the bare peft loop."""
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    from models.language.causal_lm import packaged_smollm2_folder

    train, _ = passages(config, steps)
    torch.manual_seed(config.seed)
    rank = int(config.variant.split("-")[1])
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(packaged_smollm2_folder()), lora_config(rank, list(LORA_TARGETS)))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate,
                                  weight_decay=0.01)
    generator = torch.Generator().manual_seed(config.seed)
    model.train()
    times = []
    for batch in torch.randperm(len(train), generator=generator).split(config.batch_size):
        started = time.perf_counter()
        logits = model(input_ids=train.inputs[0][batch]).logits
        loss = F.cross_entropy(logits.flatten(0, 1), train.targets[batch].flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def fit_step_seconds(config: TrainConfig, steps: int) -> float:
    """Median seconds per step of the studio's fit on the task's model (from its points' clock)."""
    train, validation = passages(config, steps)
    torch.manual_seed(config.seed)
    model = build_model(config.task, config.variant, train)
    points = []
    fit(model, train, validation.subset(torch.arange(1)), replace(config, epochs=1), points.append,
        evaluation=TASKS[config.task].evaluate)
    clock = [0.0] + [point.seconds for point in points if point.split == "train"]
    return statistics.median(later - earlier for earlier, later in zip(clock, clock[1:]))


def step_ratio(config: TrainConfig, steps: int, repeats: int) -> dict:
    """Rounds of (bare, fit) run in turn, every other round fit first (a load that grows or falls over the
    bench then costs both alike)."""
    rounds = []
    for number in range(repeats):
        if number % 2:
            fitted = fit_step_seconds(config, steps)
            rounds.append((bare_step_seconds(config, steps), fitted))
        else:
            rounds.append((bare_step_seconds(config, steps), fit_step_seconds(config, steps)))
    bare, fitted = (statistics.median(column) for column in zip(*rounds))
    return {"bare_step_seconds": bare, "fit_step_seconds": fitted, "ratio_vs_bare": bare / fitted,
            "rounds": rounds}


def record(keys: dict[str, float], details: dict, path: Path = RESULTS_JSON) -> None:
    """Add `keys` and details["finetune"] to results.json; every other key stays as it was."""
    results = json.loads(path.read_text(encoding="utf-8"))
    results.update(keys)
    results.setdefault("details", {})["finetune"] = details
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=RUN.learning_rate)
    parser.add_argument("--variants", default="", help="other variants to run whole, comma-separated")
    parser.add_argument("--runs-only", action="store_true", help="no step timing")
    parser.add_argument("--record", action="store_true", help="merge the finetune_* keys into bench/results.json")
    arguments = parser.parse_args()
    config = replace(RUN, learning_rate=arguments.learning_rate)
    run = whole_run(config)  # first: the process's peak RSS is then the run's
    print(f"lm-lora {RUN.variant}, {run['steps']} steps on {run['train_passages']} passages: "
          f"{run['minutes']:.2f} min, {run['cpu_minutes']:.2f} CPU min (goal {GOAL_MINUTES} min), held-out perplexity "
          f"{run['perplexity_before']:.2f} -> {run['perplexity_after']:.2f}, peak RSS {run['peak_rss_mb']:.0f} MB",
          flush=True)
    steps = None if arguments.runs_only else step_ratio(config, arguments.steps, arguments.repeats)
    if steps:
        print(f"step: fit {steps['fit_step_seconds']:.2f} s, bare peft {steps['bare_step_seconds']:.2f} s, "
              f"ratio {steps['ratio_vs_bare']:.3f}", flush=True)
    others = {}
    for variant in filter(None, arguments.variants.split(",")):
        others[variant] = whole_run(replace(config, variant=variant))
        print(f"{variant}: {others[variant]['minutes']:.2f} min, held-out perplexity per epoch "
              f"{[round(p, 2) for p in others[variant]['perplexity_per_epoch']]}", flush=True)
    details = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "config": config.__dict__,
               "load_average": os.getloadavg(), "threads": torch.get_num_threads(), "run": run, "steps": steps,
               "other_variants": others}
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "finetune.json").write_text(json.dumps(details, indent=2))
    if arguments.record:
        record(result_keys(run, steps, others), details)


def result_keys(run: dict, steps: dict | None, others: dict[str, dict]) -> dict[str, float]:
    """The flat keys of results.json: finetune_lora_* for the lora-4 run, finetune_<variant>_* for the others."""
    keys = {"finetune_lora_minutes": run["minutes"], "finetune_lora_cpu_minutes": run["cpu_minutes"],
            "finetune_lora_perplexity_before": run["perplexity_before"],
            "finetune_lora_perplexity_after": run["perplexity_after"], "finetune_lora_peak_rss_mb": run["peak_rss_mb"]}
    if steps:
        keys |= {"finetune_lora_step_seconds": steps["fit_step_seconds"],
                 "finetune_lora_step_ratio_vs_bare_peft": steps["ratio_vs_bare"]}
    for variant, other in others.items():
        name = variant.replace("-", "_")
        keys |= {f"finetune_{name}_minutes": other["minutes"],
                 f"finetune_{name}_perplexity_after": other["perplexity_after"]}
    return keys


if __name__ == "__main__":
    main()
