"""Pooling attention over groups of queries and keys, so that every pooled row is still a distribution.

One function, `pool`, serves both readers: the attention views merge runs of neighbouring tokens into
blocks to keep long inputs readable, and the translation alignment merges subword pieces into words.
"""
from collections.abc import Sequence

import numpy as np

Groups = Sequence[Sequence[int] | np.ndarray]  # each group: the indices of the tokens it merges, in order


def pool(weights: np.ndarray, query_groups: Groups, key_groups: Groups) -> np.ndarray:
    """[..., queries, keys] -> [..., query groups, key groups]: a key group gets the sum of its keys'
    weights and a query group the mean of its queries' rows, so every row still sums to 1."""
    summed = np.stack([weights[..., group].sum(axis=-1) for group in key_groups], axis=-1)
    return np.stack([summed[..., group, :].mean(axis=-2) for group in query_groups], axis=-2)


def blocks(count: int, most: int) -> list[np.ndarray]:
    """Split positions 0..count-1 into at most `most` consecutive blocks of near-equal size."""
    return np.array_split(np.arange(count), min(count, most))


def block_of(position: int, count: int, most: int) -> int:
    """The block (of `blocks(count, most)`) that holds `position`."""
    return next(number for number, block in enumerate(blocks(count, most)) if position <= block[-1])


def block_label(labels: list[str], block: np.ndarray) -> str:
    return labels[block[0]] if len(block) == 1 else f"{labels[block[0]]}…{labels[block[-1]]}"


def downsample(weights: np.ndarray, query_tokens: list[str], key_tokens: list[str], most: int
               ) -> tuple[np.ndarray, list[str], list[str]]:
    """A map at most `most` × `most`, with "first…last" labels for merged tokens."""
    query_blocks, key_blocks = blocks(len(query_tokens), most), blocks(len(key_tokens), most)
    return (pool(weights, query_blocks, key_blocks), [block_label(query_tokens, b) for b in query_blocks],
            [block_label(key_tokens, b) for b in key_blocks])
