"""Any set of vectors (words, sentences) seen from above: PCA to 2-D or 3-D, and their cosine similarities."""
from dataclasses import dataclass

import numpy as np

from models.errors import InputError

DIMENSIONS = (2, 3)


@dataclass(frozen=True)
class Projection:
    labels: list[str]  # [n] what each point is (a word, a sentence)
    coordinates: np.ndarray  # [n, 2 or 3] along the first principal components
    explained: np.ndarray  # [2 or 3] the share of the variance each component keeps
    similarity: np.ndarray  # [n, n] cosine similarity of the original vectors


def project(vectors: np.ndarray, labels: list[str], dims: int = 2) -> Projection:
    """`vectors` [n, d] onto their first `dims` principal components (the directions they vary most along).

    PCA is linear: a shift between two words (king − man) is the same arrow wherever it is drawn, so the
    parallelograms of analogies stay parallelograms."""
    if dims not in DIMENSIONS:
        raise InputError.of("embeddings.bad_dimensions", dims=dims)
    vectors = np.asarray(vectors, dtype=np.float64)
    centred = vectors - vectors.mean(axis=0)
    _, singular, directions = np.linalg.svd(centred, full_matrices=False)
    coordinates = np.zeros((len(vectors), dims))
    kept = min(dims, len(singular))
    coordinates[:, :kept] = centred @ directions[:kept].T
    variance = singular ** 2
    explained = np.zeros(dims)
    explained[:kept] = variance[:kept] / max(variance.sum(), 1e-12)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return Projection(list(labels), coordinates, explained, unit @ unit.T)
