"""The word2vec task: the BBC News corpus read from its package, skip-gram pairs, and Word2Vec trained while
watched words' neighbours are taken after every epoch."""
import math
from collections import Counter

import pytest
import torch

from models.errors import InputError
from models.language.word2vec import train_watching
from models.training.config import TrainConfig
from models.training.loop import evaluate
from models.training.tasks.word2vec import (CANDIDATE_LABELS, MAX_VOCABULARY, MIN_COUNT, bbc_corpus, skipgram,
                                            word2vec_data)


@pytest.fixture(scope="module")
def data():
    return word2vec_data()


def test_the_corpus_is_every_bbc_article_with_a_frequent_word_vocabulary():
    corpus = bbc_corpus()
    assert len(corpus.articles) == 2225
    assert len(corpus.vocabulary) <= MAX_VOCABULARY and corpus.counts.min() >= MIN_COUNT
    assert corpus.vocabulary[0] == "the" and {"government", "music", "film", "phone"} <= set(corpus.vocabulary)


def test_pairs_are_subsampled_grouped_by_article_and_labelled_context_then_noise(data):
    corpus = bbc_corpus()
    centres, contexts = data.inputs
    assert len(centres) == len(contexts) == len(data.targets) == len(data.groups) > 500_000
    assert data.targets[0].tolist() == CANDIDATE_LABELS and data.input_vocabulary == corpus.vocabulary
    assert int(data.groups.max()) == 2224
    # "the" is ~6 % of the corpus; subsampling keeps it from dominating the pairs
    the = Counter(centres.tolist())[0] / len(centres)
    assert the < 0.5 * corpus.counts[0] / corpus.counts.sum()


def test_an_untrained_model_scores_every_candidate_one_half(data):
    piece = data.subset(torch.arange(2048))
    loss, _ = evaluate(skipgram(piece), piece)
    assert loss == pytest.approx(math.log(2), abs=1e-6)


def test_training_takes_the_watched_words_neighbours_before_and_after_every_epoch(data):
    piece = data.subset(torch.arange(60_000))
    snapshots, points = [], []
    config = TrainConfig("word2vec", "skipgram", "adam", 3e-3, 512, 2)
    outcome, vectors = train_watching(["government", "Film"], config, points.append, snapshots.append, data=piece)
    assert outcome.status == "finished"
    assert [s.epoch for s in snapshots] == [0, 1, 2]
    assert all(len(s.neighbours["government"]) == 5 and "government" not in s.neighbours["government"]
               for s in snapshots)
    assert snapshots[0].neighbours != snapshots[-1].neighbours
    validation = [p.loss for p in points if p.split == "validation"]
    assert validation[-1] < math.log(2) and len(vectors) == len(data.input_vocabulary)


def test_a_watched_word_the_corpus_lacks_is_refused_before_training(data):
    with pytest.raises(InputError) as raised:
        train_watching(["goverment"], TrainConfig("word2vec", "skipgram", epochs=1), [].append, [].append,
                       data=data.subset(torch.arange(1000)))
    assert raised.value.key == "embeddings.unknown_word" and "government" in raised.value.values["suggestions"]
