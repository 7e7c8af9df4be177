"""Language: the sentence encoder (MiniLM) and the causal language model (SmolLM2)."""
