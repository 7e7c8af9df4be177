"""whisper-finetune: Whisper tiny.en fine-tuned on recordings with their text (models/training/clip_sets.py), so it
learns the names and jargon it got wrong.

The encoder stays as it was pretrained: it hears the voices well already, and what tiny.en lacks is what to write
(how "Siobhan" is spelled). So each clip's encoder output, [1500, 384], is computed once when the data is made,
and training runs the decoder alone on it: a step is the decoder's, a tenth of the whole model's cost. Two ways to
adapt the decoder, side by side:
- its layers, fully (9.5 M weights; the token embedding, tied to the output layer, stays frozen). They are the
  model's `pretrained` part, so the loop steps them at a fraction of the learning rate (models/training/loop.py);
- LoRA (Hu et al. 2021) rank 16 on the query and value projections of its self- and cross-attention: 0.2 M
  weights start as a zero update and only they learn, and are saved.

A clip is taught as Whisper decodes it: <|startoftranscript|> <|notimestamps|>, the text's tokens, <|endoftext|>;
the decoder reads each token and predicts the next (the prompt's own token is not scored).
"""
import logging
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import torch
from safetensors.torch import load, save_file
from torch import nn

from models.errors import InputError, Phrase
from models.libraries import IMPORT_LOCK
from models.progress import Progress, no_progress
from models.speech.audio import SAMPLE_RATE
from models.training.clip_sets import clip_set, default_file, sets_folder
from models.training.data import IGNORE, TaskData, pad
from models.training.lora import ALPHA_PER_RANK, trained_weights, with_adapter, with_saved_weights
from models.training.task import Defaults, Task

BASE = "tiny.en"  # the packaged model fine-tuned (models/speech/whisper_ct2.py)
PROMPT = ("<|startoftranscript|>", "<|notimestamps|>")  # an English-only model's prompt: no language or task token
LORA_TARGETS = r".*decoder\.layers\.\d+\.(self_attn|encoder_attn)\.(q_proj|v_proj)"
ENCODER_BATCH = 8  # clips per encoder pass when the data is made
STORED_DTYPE = torch.float16  # encoder outputs kept at half size: 1.1 MB a clip
STATES_VERSION = 1
DEFAULTS = Defaults("adamw", 1e-3, 8, 5)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Variant:
    rank: int  # LoRA's rank; 0: the decoder's layers learn instead


VARIANTS = {"decoder": Variant(0), "lora-16": Variant(16)}


@cache
def pretrained_whisper():
    """(model, processor) as packaged, frozen: the encoder that makes the task's data, and the tokenizer."""
    with IMPORT_LOCK:
        from models.speech.whisper_ct2 import load_packaged_whisper

    model, processor = load_packaged_whisper(BASE, torch.device("cpu"), torch.float32)
    return model.requires_grad_(False), processor


def token_rows(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(decoder inputs, targets), each [clips, longest]: the prompt and the text's tokens, and each next token
    (IGNORE where the prompt's token or padding would be scored)."""
    tokenizer = pretrained_whisper()[1].tokenizer
    prompt = tokenizer.convert_tokens_to_ids(list(PROMPT))
    inputs, targets = [], []
    for text in texts:
        ids = prompt + tokenizer.encode(" " + text.strip(), add_special_tokens=False) + [tokenizer.eos_token_id]
        inputs.append(ids[:-1])
        targets.append([IGNORE] * (len(prompt) - 1) + ids[len(prompt):])
    return pad(inputs, tokenizer.eos_token_id), pad(targets, IGNORE)


@torch.inference_mode()
def encoder_states(clips, progress: Progress = no_progress) -> torch.Tensor:
    """The frozen encoder's output [clips, 1500, width] (STORED_DTYPE) for float32 16 kHz clips."""
    model, processor = pretrained_whisper()
    states = []
    for start in range(0, len(clips), ENCODER_BATCH):
        progress(start / len(clips), Phrase("whisper.encoding", done=start, clips=len(clips)))
        features = processor.feature_extractor(clips[start: start + ENCODER_BATCH], sampling_rate=SAMPLE_RATE,
                                               return_tensors="pt").input_features
        states.append(model.get_encoder()(features).last_hidden_state.to(STORED_DTYPE))
    progress(1.0, Phrase("whisper.encoding", done=len(clips), clips=len(clips)))
    return torch.cat(states)


def states_file(dataset: str) -> Path:
    return sets_folder() / f"{dataset or default_file().stem}.{BASE}-encoder-v{STATES_VERSION}.safetensors"


def prepare(dataset: str = "", progress: Progress = no_progress) -> torch.Tensor:
    """The encoder states of the clips `dataset` names, computed on first use (30 s windows: about a second a clip
    on 2 CPU cores) and kept beside the clips; a file that does not read back whole is made again."""
    path = states_file(dataset)
    clips = clip_set(dataset, progress)
    if path.is_file():
        try:
            states = load(path.read_bytes())["states"]  # read whole: a mapped file replaced later would fault
            if len(states) == len(clips.clips):
                return states
        except Exception as error:  # a truncated or foreign file: made again, never used half
            log.warning("whisper-finetune: encoder states %s unreadable (%s), computing them again", path, error)
    states = encoder_states(clips.clips, progress)
    partial = path.with_suffix(".partial")
    save_file({"states": states.contiguous()}, partial)
    partial.replace(path)
    return states


@lru_cache(maxsize=2)
def examples(dataset: str = "") -> TaskData:
    """The clips `dataset` names: inputs (encoder states [n, 1500, width], decoder inputs [n, tokens]), targets
    [n, tokens]; grouped by voice (the default set) or by clip (the user's)."""
    clips = clip_set(dataset)
    decoder_inputs, targets = token_rows(clips.texts)
    return TaskData((prepare(dataset), decoder_inputs), targets, [], groups=torch.tensor(clips.groups))


class FineTunedWhisper(nn.Module):
    """forward(encoder states [n, 1500, width], decoder inputs [n, tokens]) -> next-token logits
    [n, tokens, vocabulary]: tiny.en's decoder with its layers unfrozen or a LoRA adapter."""

    def __init__(self, variant: str):
        super().__init__()
        with IMPORT_LOCK:
            from models.speech.whisper_ct2 import load_packaged_whisper

        network, _ = load_packaged_whisper(BASE, torch.device("cpu"), torch.float32)
        network.requires_grad_(False)
        rank = VARIANTS[variant].rank
        if rank:
            self.network = with_adapter(network, rank, LORA_TARGETS)
        else:
            decoder = network.model.decoder
            self.pretrained = nn.ModuleList([*decoder.layers, decoder.layer_norm]).requires_grad_(True)
            self.network = network

    def forward(self, states: torch.Tensor, decoder_inputs: torch.Tensor) -> torch.Tensor:
        states = states.to(next(self.network.parameters()).dtype)
        return self.network(encoder_outputs=(states,), decoder_input_ids=decoder_inputs).logits


def reload_recognizer(description: dict, weights: dict[str, torch.Tensor], device: torch.device,
                      dtype: torch.dtype):
    """tiny.en with a run's saved weights (the adapter merged into the projections it adapts): a SpeechRecognizer
    like the packaged ones (its int8 text model on CPU included), for the Speech and Attention tabs."""
    with IMPORT_LOCK:
        from models.speech.recognizer import recognizer_of
        from models.speech.whisper_ct2 import load_packaged_whisper

    network, processor = load_packaged_whisper(BASE, torch.device("cpu"), torch.float32)
    network = with_saved_weights(network, weights, VARIANTS[description["variant"]].rank, LORA_TARGETS,
                                 InputError.of("whisper.weights_mismatch", run=description["run_id"]))
    return recognizer_of(network.to(device, dtype).eval(), processor)


TASK = Task("whisper-finetune", examples, {name: (lambda data, name=name: FineTunedWhisper(name)) for name in VARIANTS},
            DEFAULTS, uses_dataset=True, saved_kind="speech",
            preprocessing={"base": f"whisper-{BASE}", "prompt": list(PROMPT), "lora_targets": LORA_TARGETS,
                           "lora_alpha_per_rank": ALPHA_PER_RANK},
            reload=reload_recognizer, prepare=lambda progress: prepare("", progress),
            saved_weights=lambda model: trained_weights(model.network))
