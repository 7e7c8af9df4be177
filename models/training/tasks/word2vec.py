"""word2vec: word vectors learnt from the BBC News corpus (2,225 articles) by skip-gram with negative sampling.

Mikolov et al. (2013): a word's vector should predict the words around it. Each example is a (centre, context)
pair from a small window; the model scores it against NEGATIVES words drawn at random (the unigram
distribution to the 3/4 power) and learns to tell the real context (label 1) from the noise (label 0):
loss = −log σ(u·v_context) − Σ log σ(−u·v_noise). Frequent words ("the", "said") are subsampled, so they
neither dominate the pairs nor the time. Written as two classes per candidate, ("noise", "context"), so the
shared loop's cross-entropy is exactly this loss and its accuracy is how often a candidate is told right.
"""
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
from torch import nn

from models.language.word_vectors import WordVectors
from models.training.data import TaskData
from models.training.text_sets import bbc_folder
from models.training.task import Defaults, Task

MIN_COUNT = 5  # rarer words are dropped: a handful of contexts teaches a vector nothing
MAX_VOCABULARY = 12_000
SUBSAMPLE = 1e-4  # Mikolov's t: a word of frequency f is kept with probability (√(f/t) + 1)·t/f
WINDOW = 2  # the largest distance to a context word; each centre draws its own window in 1..WINDOW
NEGATIVES = 5
NOISE_POWER = 0.75
DIMENSIONS = 64
SEED = 0  # subsampling and windows are drawn once, so every run trains on the same pairs
TOKEN = re.compile(r"[a-z]+")
CANDIDATE_LABELS = [1] + [0] * NEGATIVES  # the context, then the noise words


@dataclass(frozen=True)
class Corpus:
    vocabulary: list[str]  # most frequent first
    counts: np.ndarray  # [vocabulary] occurrences in the corpus
    articles: list[np.ndarray]  # each article as word ids (words outside the vocabulary dropped)


@cache
def bbc_corpus() -> Corpus:
    """The articles' words, lower-case letters only, read from the package's folders (never its getdata(),
    which prints and numbers the topics in filesystem order)."""
    folder = bbc_folder()
    texts = [path.read_bytes().decode("utf-8", errors="replace").lower()
             for topic in sorted(folder.iterdir(), key=lambda path: path.name) if topic.is_dir()
             for path in sorted(topic.iterdir(), key=lambda path: path.name) if path.name.endswith(".txt")]
    tokens = [TOKEN.findall(text) for text in texts]
    counts = Counter(word for words in tokens for word in words)
    vocabulary = [word for word, count in counts.most_common(MAX_VOCABULARY) if count >= MIN_COUNT]
    ids = {word: i for i, word in enumerate(vocabulary)}
    articles = [np.array([ids[word] for word in words if word in ids], dtype=np.int64) for words in tokens]
    return Corpus(vocabulary, np.array([counts[word] for word in vocabulary]), articles)


def skipgram_pairs(corpus: Corpus, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centres, contexts, article of each pair), each [pairs], after subsampling frequent words."""
    rng = np.random.default_rng(seed)
    frequency = corpus.counts / corpus.counts.sum()
    keep = np.minimum(1.0, (np.sqrt(frequency / SUBSAMPLE) + 1) * SUBSAMPLE / frequency)
    centres, contexts, sources = [], [], []
    for number, article in enumerate(corpus.articles):
        article = article[rng.random(len(article)) < keep[article]]
        reach = rng.integers(1, WINDOW + 1, len(article))  # each centre's own window
        for distance in range(1, WINDOW + 1):
            left, right = article[:-distance], article[distance:]
            for centre, context, centre_reach in ((left, right, reach[:-distance]), (right, left, reach[distance:])):
                reaching = centre_reach >= distance
                centres.append(centre[reaching])
                contexts.append(context[reaching])
                sources.append(np.full(int(reaching.sum()), number))
    return np.concatenate(centres), np.concatenate(contexts), np.concatenate(sources)


def word2vec_data() -> TaskData:
    """Inputs (centre, context) word ids; targets [pairs, 1 + NEGATIVES] = the candidates' labels; a pair's
    article is its group, so the validation articles are unseen. `input_vocabulary` is the vocabulary."""
    corpus = bbc_corpus()
    centres, contexts, articles = skipgram_pairs(corpus)
    targets = torch.tensor(CANDIDATE_LABELS).expand(len(centres), -1)
    return TaskData((torch.from_numpy(centres), torch.from_numpy(contexts)), targets, ["noise", "context"],
                    corpus.vocabulary, torch.from_numpy(articles))


class SkipGram(nn.Module):
    """Two tables of vectors: `centre` (the word vectors kept) and `context` (what they are scored against)."""

    def __init__(self, counts: np.ndarray, dims: int = DIMENSIONS):
        super().__init__()
        self.centre = nn.Embedding(len(counts), dims)
        self.context = nn.Embedding(len(counts), dims)
        nn.init.uniform_(self.centre.weight, -0.5 / dims, 0.5 / dims)
        nn.init.zeros_(self.context.weight)  # as word2vec.c: the first scores are all 0, σ = ½
        noise = torch.tensor(counts, dtype=torch.float64) ** NOISE_POWER
        self.register_buffer("noise_cumulative", (noise.cumsum(0) / noise.sum()).float())

    def forward(self, centres: torch.Tensor, contexts: torch.Tensor) -> torch.Tensor:
        """[batch] ids, [batch] ids -> logits [batch, 1 + NEGATIVES, 2] for ("noise", "context")."""
        drawn = torch.rand(len(centres), NEGATIVES, device=centres.device)
        noise = torch.searchsorted(self.noise_cumulative, drawn).clamp(max=len(self.noise_cumulative) - 1)
        candidates = torch.cat([contexts.unsqueeze(1), noise], dim=1)  # [batch, 1 + NEGATIVES]
        scores = (self.context(candidates) * self.centre(centres).unsqueeze(1)).sum(-1)
        return torch.stack([torch.zeros_like(scores), scores], dim=-1)  # softmax([0, s]) = (1 − σ(s), σ(s))


def word_vectors(model: SkipGram, vocabulary: list[str]) -> WordVectors:
    """The centre vectors as it has learnt them so far, ready for neighbours and analogies."""
    return WordVectors(vocabulary, model.centre.weight.detach().float().cpu().numpy())


def skipgram(data: TaskData) -> SkipGram:
    return SkipGram(bbc_corpus().counts)


TASK = Task("word2vec", word2vec_data, {"skipgram": skipgram}, Defaults("adam", 5e-3, 4096, 3))
