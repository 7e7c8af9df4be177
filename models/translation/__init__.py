"""Translation: the Bergamot Marian port, the search behind n-best lists, and word-level alignment."""
