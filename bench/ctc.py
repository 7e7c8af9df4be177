"""The speech recognizer trained here (task "ctc"): per acoustic model, training time, held-out WER with each
decoder, beam-8 + n-gram decoding time per utterance, and the studio loop's throughput against a bare loop.

- train: `fit` with the task's defaults (its loss and evaluation), wall seconds and this process's CPU seconds
  (the CPU figure says more on a shared machine).
- WER: the held-out voice (never in training), greedy vs beam + n-gram vs beam + LSTM LM, the default beam, α and β
  (the language model's words as the lexicon).
- decode: median ms of one utterance's beam search with the n-gram, at beam 8 (the goal's) and at the default beam,
  the acoustic model's forward excluded.
- throughput: steps/s of `fit` over one epoch vs a bare loop (randperm, forward, CTC loss, backward, step) on the
  same model, batches and optimizer; rounds interleaved, medians.

    python -m bench.ctc [--variants cnn-bilstm bilstm transformer] [--epochs 10] [--repeats 2] [--threads 2]
                        [--out bench/out/ctc.json]

Writes bench/out/ctc.json (or --out: variants measured in separate processes each write their own).
"""
import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch

from models.speech.ctc_decoding import PrefixBeamSearch
from models.speech.ctc_recognizer import DEFAULTS, CTCRecognizer, language_model
from models.speech.spoken_set import spoken_set
from models.training.config import TrainConfig
from models.training.loop import fit, make_optimizer
from models.training.tasks import TASKS, build_model, load_task
from models.training.tasks.ctc import CHARACTERS

OUT = Path(__file__).resolve().parent / "out" / "ctc.json"


def prepared(config: TrainConfig):
    train, validation = load_task("ctc").split(config.validation_split, config.seed)
    torch.manual_seed(config.seed)
    return build_model("ctc", config.variant, train), train, validation


def bare_steps_per_second(config: TrainConfig) -> float:
    model, train, _ = prepared(config)
    optimizer = make_optimizer(config, model)
    generator = torch.Generator().manual_seed(config.seed)
    model.train()
    steps, started = 0, time.perf_counter()
    for batch in torch.randperm(len(train), generator=generator).split(config.batch_size):
        loss = TASKS["ctc"].loss(model(*(tensor[batch] for tensor in train.inputs)), train.targets[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        steps += 1
    return steps / (time.perf_counter() - started)


def fit_steps_per_second(config: TrainConfig) -> float:
    model, train, validation = prepared(config)
    task = TASKS["ctc"]
    outcome = fit(model, train, validation, config, loss_function=task.loss, evaluation=task.evaluate)
    return outcome.steps / outcome.metrics["seconds"]


def trained(config: TrainConfig) -> tuple[CTCRecognizer, dict]:
    model, train, validation = prepared(config)
    task = TASKS["ctc"]
    cpu, wall = time.process_time(), time.perf_counter()
    outcome = fit(model, train, validation, config, loss_function=task.loss, evaluation=task.evaluate)
    figures = {"train_s": time.perf_counter() - wall, "train_cpu_s": time.process_time() - cpu,
               "epochs": config.epochs, "validation_char_accuracy": outcome.metrics["validation_accuracy"]}
    return CTCRecognizer(model.eval(), CHARACTERS, 0), figures


def decode_ms(recognizer: CTCRecognizer, beam: int) -> float:
    clips, _ = spoken_set().part(held_out=True)
    ngram = language_model("ngram")
    search = PrefixBeamSearch(CHARACTERS, ngram, replace(DEFAULTS, beam=beam), lexicon=ngram.words)
    times = []
    for log_probs in recognizer.posteriors(clips):
        started = time.perf_counter()
        search.decode(log_probs)
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=list(TASKS["ctc"].variants))
    parser.add_argument("--epochs", type=int, default=TASKS["ctc"].defaults.epochs)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    defaults = TASKS["ctc"].defaults
    base = TrainConfig("ctc", "cnn-bilstm", defaults.optimizer, defaults.learning_rate, defaults.batch_size, 1)
    results = {"threads": args.threads, "load_average": list(__import__("os").getloadavg()),
               "decode_options": {"beam": DEFAULTS.beam, "alpha": DEFAULTS.alpha, "beta": DEFAULTS.beta}}
    language_model("ngram"), language_model("neural")  # trained once, outside the timings
    bare, studio = [], []
    for _ in range(args.repeats):
        bare.append(bare_steps_per_second(base))
        studio.append(fit_steps_per_second(base))
    if args.repeats:  # --repeats 0: WER and timings only
        results["throughput"] = {"bare_steps_per_s": statistics.median(bare),
                                 "fit_steps_per_s": statistics.median(studio),
                                 "fit_over_bare": statistics.median(studio) / statistics.median(bare)}
        print(json.dumps(results["throughput"]), flush=True)
    for variant in args.variants:
        recognizer, figures = trained(replace(base, variant=variant, epochs=args.epochs))
        figures["wer"] = recognizer.held_out_wer()
        figures["beam8_ngram_decode_ms"] = decode_ms(recognizer, 8)
        figures[f"beam{DEFAULTS.beam}_ngram_decode_ms"] = decode_ms(recognizer, DEFAULTS.beam)
        results[variant] = figures
        print(variant, json.dumps(figures), flush=True)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
