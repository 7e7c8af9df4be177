"""Word embeddings: query time over GloVe's 400,000 words, and analogy top-1 accuracy on the studio's set
(assets/text/analogies.tsv) for GloVe and for the Word2Vec the Embeddings tab trains.

Query time: the /neighbors and /analogy handlers (lookup, product over every word, top-k, rows for the JSON) vs a
bare `unit @ query` + topk on the same matrix, interleaved in one run (medians over the analogy set's words).
Word2Vec: trained with the task's one-click settings on the whole BBC corpus, then scored on the items whose four
words its vocabulary has; GloVe is scored on all items and on those same items.

    python -m bench.embeddings [--repeats 3] [--epochs 3]
"""
import argparse
import statistics
import time

import torch

from bench.timing import interleaved_medians
from models.language.analogies import analogy_items, score
from models.language.word2vec import train_watching
from models.registry import ModelRegistry
from models.training.config import TrainConfig
from models.training.tasks import TASKS
from studio import embeddings

GOAL_MS = 100  # per neighbour or analogy query over 400k words (issue 18)
QUERIES = 20  # analogy items timed (their a, b, c)
NEIGHBOURS = 10
EPOCHS = TASKS["word2vec"].defaults.epochs  # the tab's one-click setting


def quiet(*args, **kwargs):
    pass


def query_ms(registry: ModelRegistry, repeats: int) -> dict[str, float]:
    """Median ms per query of the studio handlers and of the bare product, over QUERIES analogy items."""
    glove = registry.get(embeddings.GLOVE)
    items = analogy_items()[::len(analogy_items()) // QUERIES][:QUERIES]
    timings: dict[str, list[float]] = {}
    for item in items:
        a, b, c = (glove.unit[glove.index(word)] for word in (item.a, item.b, item.c))
        calls = {"studio neighbours": lambda: embeddings.neighbors(registry, item.c, NEIGHBOURS, progress=quiet),
                 "bare neighbours": lambda: torch.topk(glove.unit @ c, NEIGHBOURS + 1),
                 "studio analogy": lambda: embeddings.analogy(registry, item.a, item.b, item.c, 5, progress=quiet),
                 "bare analogy": lambda: torch.topk(glove.unit @ (b - a + c), 5 + 3)}
        medians, _ = interleaved_medians(calls, repeats)
        for name, taken in medians.items():
            timings.setdefault(name, []).append(1000 * taken)
    return {name: statistics.median(values) for name, values in timings.items()}


def word2vec_accuracy(registry: ModelRegistry, epochs: int) -> dict:
    """Train Word2Vec as the tab does; analogy accuracy of it and of GloVe, and the training time."""
    defaults = TASKS["word2vec"].defaults
    config = TrainConfig("word2vec", "skipgram", defaults.optimizer, defaults.learning_rate, defaults.batch_size,
                         epochs)
    started = time.perf_counter()
    outcome, trained = train_watching([], config, quiet, quiet)
    seconds = time.perf_counter() - started
    glove = registry.get(embeddings.GLOVE)
    items = analogy_items()
    covered = [item for item in items if all(w in trained for w in (item.a, item.b, item.c, item.expected))]
    mine, glove_all, glove_same = score(trained, covered), score(glove, items), score(glove, covered)
    return {"items": len(items), "word2vec_covered": mine.covered, "word2vec_accuracy": mine.accuracy,
            "glove_accuracy": glove_all.accuracy, "glove_accuracy_same_items": glove_same.accuracy,
            "word2vec_by_category": mine.by_category, "glove_by_category": glove_all.by_category,
            "word2vec_train_seconds": seconds, "word2vec_epochs": epochs,
            "word2vec_validation_loss": outcome.metrics.get("validation_loss")}


def measure(registry: ModelRegistry, repeats: int, epochs: int = EPOCHS) -> dict:
    ms = query_ms(registry, repeats)
    return {"ms": ms, **word2vec_accuracy(registry, epochs)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    result = measure(ModelRegistry(torch.device("cpu")), args.repeats, args.epochs)
    ms = result["ms"]
    print(f"torch threads {torch.get_num_threads()}, {QUERIES} queries × {args.repeats} repeats\n")
    print("| query over 400,000 words | studio ms | bare ms | studio ÷ bare |\n|---|---|---|---|")
    for kind in ("neighbours", "analogy"):
        print(f"| {kind} | {ms[f'studio {kind}']:.1f} | {ms[f'bare {kind}']:.1f} | "
              f"{ms[f'studio {kind}'] / ms[f'bare {kind}']:.2f} |")
    print(f"\ngoal ≤ {GOAL_MS} ms per query\n")
    print(f"analogy top-1: GloVe {result['glove_accuracy']:.3f} on {result['items']} items; Word2Vec "
          f"{result['word2vec_accuracy']:.3f} on the {result['word2vec_covered']} it covers (GloVe on those: "
          f"{result['glove_accuracy_same_items']:.3f}); Word2Vec trained {result['word2vec_epochs']} epochs in "
          f"{result['word2vec_train_seconds']:.0f} s")


if __name__ == "__main__":
    main()
