"""The one pooling function (models/pooling.py) behind the attention views' blocks and the
translation alignment's words."""
import numpy as np
import pytest

from models.pooling import block_of, blocks, downsample, pool
from models.translation.alignment import merge_words, word_groups

SOURCE = ["▁The", "▁sofa", "s", ".", "</s>"]
TARGET = ["▁Os", "▁sof", "ás", "▁aqui", ".", "</s>"]  # grouped unlike the source: [0], [1, 2], [3, 4], [5]


def distributions(*shape: int, seed: int = 0) -> np.ndarray:
    """Random [..., rows, columns] weights whose rows sum to 1."""
    return np.random.default_rng(seed).dirichlet(np.ones(shape[-1]), size=shape[:-1])


def as_matrix(groups, count: int) -> np.ndarray:
    """[count, groups]: 1 where a position belongs to a group."""
    member = np.zeros((count, len(groups)))
    for column, group in enumerate(groups):
        member[group, column] = 1
    return member


# What the studio computed before there was one `pool`: the attention views' version and the
# translation alignment's, copied from the code they replaced.
def attention_pool_before(weights, query_blocks, key_blocks):
    summed = np.stack([weights[..., block].sum(axis=-1) for block in key_blocks], axis=-1)
    return np.stack([summed[..., block, :].mean(axis=-2) for block in query_blocks], axis=-2)


def merge_words_before(weights, source_groups, target_groups):
    summed = np.stack([weights[:, group].sum(axis=1) for group in source_groups], axis=1)
    return np.stack([summed[group].mean(axis=0) for group in target_groups])


@pytest.mark.parametrize("query_groups, key_groups", [
    (blocks(7, 3), blocks(9, 4)),  # the views' consecutive blocks
    (word_groups(TARGET), word_groups(SOURCE)),  # the alignment's words (index lists)
    ([[0], [1, 2, 3], [4, 5, 6]], [[0, 1], [2], [3, 4, 5, 6, 7, 8]]),  # groups of unequal size
])
def test_pooled_rows_still_sum_to_one_and_are_sums_over_keys_means_over_queries(query_groups, key_groups):
    queries, keys = sum(map(len, query_groups)), sum(map(len, key_groups))
    weights = distributions(2, 3, queries, keys)
    pooled = pool(weights, query_groups, key_groups)
    assert pooled.shape == (2, 3, len(query_groups), len(key_groups))
    np.testing.assert_allclose(pooled.sum(axis=-1), 1.0, atol=1e-12)
    # the same as matrices: average the member query rows, add up the member key columns
    means = as_matrix(query_groups, queries) / np.array([len(group) for group in query_groups])
    np.testing.assert_allclose(pooled, means.T @ weights @ as_matrix(key_groups, keys), atol=1e-12)


def test_pool_gives_what_the_two_poolings_it_replaced_gave():
    weights = distributions(2, 4, 7, 9, seed=1)
    query_blocks, key_blocks = blocks(7, 3), blocks(9, 4)
    np.testing.assert_array_equal(pool(weights, query_blocks, key_blocks),
                                  attention_pool_before(weights, query_blocks, key_blocks))
    pieces = distributions(len(TARGET), len(SOURCE), seed=2)
    expected = merge_words_before(pieces, word_groups(SOURCE), word_groups(TARGET))
    np.testing.assert_array_equal(merge_words(pieces, SOURCE, TARGET).weights, expected)
    np.testing.assert_array_equal(pool(pieces, word_groups(TARGET), word_groups(SOURCE)), expected)


def test_downsampling_leaves_a_short_map_as_it_is():
    weights = distributions(3, 5, seed=3)
    pooled, queries, keys = downsample(weights, list("abc"), list("vwxyz"), 64)
    np.testing.assert_array_equal(pooled, weights)
    assert queries == list("abc") and keys == list("vwxyz")


def test_block_of_finds_the_block_that_holds_a_position():
    for count, most in ((10, 64), (300, 64), (65, 64)):
        for number, block in enumerate(blocks(count, most)):
            assert all(block_of(int(position), count, most) == number for position in block)
