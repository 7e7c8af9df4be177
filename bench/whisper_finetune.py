"""Fine-tuning Whisper tiny.en on the default phrases (task whisper-finetune) on this machine: does a default run
lower the held-out word error rate, how long it takes, and how much memory.

For each variant (the decoder's layers, LoRA rank 16): one whole run through `Runner` with the task's default
settings on the default clip set (16 phrases with names and jargon in five voices; the run holds one voice out),
then the original and the fine-tuned model transcribe the held-out voice's clips (models/training/whisper_compare.py).
Before the runs, the data is made once in a fresh data folder and timed: the clips spoken (piper, espeak-ng), the
encoder's states computed and kept.
Wall minutes from start() to the end of the run; the process's CPU minutes beside them (on a machine shared with
other work, CPU minutes / threads is closer to what a quiet one takes); peak RSS (ru_maxrss) after each run.

    python -m bench.whisper_finetune [--variants decoder,lora-16] [--record]

Writes bench/out/whisper_finetune.json; --record merges its keys (whisper_finetune_*) into bench/results.json.
"""
import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import torch

from models.speech.recognizer import load_speech_model
from models.training import saved
from models.training.config import TrainConfig
from models.training.runner import Runner
from models.training.store import RunStore
from models.training.tasks.whisper_finetune import DEFAULTS, VARIANTS, prepare
from models.training.whisper_compare import compare

ROOT = Path(__file__).resolve().parent.parent
RESULTS_JSON = ROOT / "bench" / "results.json"


def whole_run(runner: Runner, variant: str, original) -> dict:
    config = TrainConfig("whisper-finetune", variant, DEFAULTS.optimizer, DEFAULTS.learning_rate, DEFAULTS.batch_size,
                         DEFAULTS.epochs)
    started, cpu_started = time.perf_counter(), time.process_time()
    state = runner.wait(runner.start(config))
    minutes, cpu_minutes = (time.perf_counter() - started) / 60, (time.process_time() - cpu_started) / 60
    if state.status != "finished":
        raise RuntimeError(f"the {variant} run {state.status}: {state.message}")
    kept = saved.find(state.saved_model)
    compared = compare(kept, original, saved.load_saved_model(str(kept.folder), torch.device("cpu")))
    return {"minutes": minutes, "cpu_minutes": cpu_minutes, "steps": state.step,
            "wer_before": compared.wer_before, "wer_after": compared.wer_after,
            "held_out_clips": len(compared.references), "after": compared.after,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--record", action="store_true", help="merge the whisper_finetune_* keys into results.json")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["STUDIO_DATA_DIR"] = folder
        started = time.perf_counter()
        prepare("")
        data_minutes = (time.perf_counter() - started) / 60
        print(f"default clips spoken and encoded: {data_minutes:.2f} min", flush=True)
        runner = Runner(RunStore(Path(folder)))
        original = load_speech_model("package:tiny.en", torch.device("cpu"))
        runs = {}
        for variant in arguments.variants.split(","):
            runs[variant] = run = whole_run(runner, variant, original)
            print(f"{variant}: {run['steps']} steps, {run['minutes']:.2f} min ({run['cpu_minutes']:.2f} CPU min), "
                  f"held-out WER {run['wer_before']:.1%} -> {run['wer_after']:.1%} on {run['held_out_clips']} clips, "
                  f"peak RSS {run['peak_rss_mb']:.0f} MB", flush=True)
        runner.close()
    details = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_average": os.getloadavg(),
               "threads": torch.get_num_threads(), "data_minutes": data_minutes, "runs": runs}
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "whisper_finetune.json").write_text(json.dumps(details, indent=2))
    if arguments.record:
        keys = {"whisper_finetune_data_minutes": data_minutes}
        for variant, run in runs.items():
            name = variant.replace("-", "_")
            keys |= {f"whisper_finetune_{name}_{key}": run[key]
                     for key in ("minutes", "cpu_minutes", "wer_before", "wer_after", "peak_rss_mb")}
        results = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
        results.update(keys)
        results.setdefault("details", {})["whisper_finetune"] = details
        RESULTS_JSON.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
