"""Word2Vec trained live (the word2vec training task, models/training/tasks/word2vec.py), watching chosen words:
their nearest words before training and after every epoch."""
from dataclasses import dataclass
from typing import Callable

import torch

from models.language.word_vectors import WordVectors
from models.training.config import TrainConfig
from models.training.data import TaskData
from models.training.loop import Outcome, Point, fit
from models.training.tasks.word2vec import skipgram, word2vec_data, word_vectors

WATCHED_NEIGHBOURS = 5


@dataclass(frozen=True)
class Snapshot:
    epoch: int  # 0: the random vectors before training
    neighbours: dict[str, list[str]]  # watched word -> its nearest words then


def train_watching(watched: list[str], config: TrainConfig, on_point: Callable[[Point], None],
                   on_snapshot: Callable[[Snapshot], None], should_stop: Callable[[], bool] = lambda: False,
                   data: TaskData | None = None) -> tuple[Outcome, WordVectors]:
    """Train config.epochs epochs; `on_snapshot` gets the watched words' neighbours before the first and after
    every epoch. Returns the outcome and the vectors learnt. A watched word outside the corpus' vocabulary is an
    InputError naming the closest words it has, raised before training starts. `data`: the task's pairs (all of
    them by default; a slice trains in seconds)."""
    config = config.validate()
    data = word2vec_data() if data is None else data
    train, validation = data.split(config.validation_split, config.seed)
    torch.manual_seed(config.seed)
    model = skipgram(train)

    def snapshot(epoch: int) -> None:
        vectors = word_vectors(model, data.input_vocabulary)
        on_snapshot(Snapshot(epoch, {word: [n.word for n in vectors.neighbours(word, WATCHED_NEIGHBOURS)]
                                     for word in watched}))

    before = word_vectors(model, data.input_vocabulary)
    for word in watched:
        before.index(word)
    snapshot(0)

    def point(reached: Point) -> None:
        on_point(reached)
        if reached.split == "validation":
            snapshot(round(reached.epoch))

    outcome = fit(model, train, validation, config, point, should_stop)
    return outcome, word_vectors(model, data.input_vocabulary)
