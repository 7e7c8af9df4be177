"""Attention read out of every studio model, as [layers, heads, queries, keys] maps."""
