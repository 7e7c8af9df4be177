"""Reading a translation's cross-attention: pick a layer and head, merge subword pieces into words,
and link each target word to the source word it attends to most.

The matrices here are [target, source]: row t is how target token t spread its attention over the
source, and sums to 1.
"""
from dataclasses import dataclass

import numpy as np

from models.pooling import pool

WORD_START = "▁"  # sentencepiece marks the first piece of every word with it


@dataclass
class WordAlignment:
    source_words: list[str]
    target_words: list[str]
    weights: np.ndarray  # [target words, source words], rows sum to 1
    links: list[tuple[int, int]]  # (target word, source word): each real word to the source word it attends most


def attention_map(cross_attention: np.ndarray, layer: int, head: int | None = None) -> np.ndarray:
    """[layers, heads, target, source] -> [target, source] for one layer: one head, or the mean over heads."""
    layer_attention = cross_attention[layer]
    return layer_attention.mean(axis=0) if head is None else layer_attention[head]


def is_special(piece: str) -> bool:
    """</s>, <pad> and the like: markers that are not text. <unk> is text the vocabulary lacks, so it is not."""
    return piece.startswith("<") and piece.endswith(">") and len(piece) > 2 and piece != "<unk>"


def word_groups(pieces: list[str]) -> list[list[int]]:
    """Indices of the pieces that make up each word: a word starts at a piece beginning with "▁";
    a special token is a word of its own."""
    groups: list[list[int]] = []
    for index, piece in enumerate(pieces):
        continues_word = groups and not piece.startswith(WORD_START) and not is_special(piece) \
            and not is_special(pieces[index - 1])
        if continues_word:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def piece_text(pieces: list[str]) -> str:
    text = "".join(pieces).replace(WORD_START, " ").strip()
    return text or pieces[0]


def merge_words(weights: np.ndarray, source_pieces: list[str], target_pieces: list[str]) -> WordAlignment:
    """Piece-level attention [target pieces, source pieces] -> word level.

    A source word receives the sum of its pieces' weights; a target word's row is the mean of its
    pieces' rows. Both keep every row a distribution over the source, summing to 1.
    """
    source_groups, target_groups = word_groups(source_pieces), word_groups(target_pieces)
    merged = pool(weights, target_groups, source_groups)
    source_words = [piece_text([source_pieces[i] for i in group]) for group in source_groups]
    target_words = [piece_text([target_pieces[i] for i in group]) for group in target_groups]
    real_sources = np.array([not is_special(word) for word in source_words])
    links = []
    if real_sources.any():
        for target, word in enumerate(target_words):
            if not is_special(word):
                links.append((target, int(np.where(real_sources, merged[target], -1.0).argmax())))
    return WordAlignment(source_words, target_words, merged, links)
