"""Recordings Whisper is fine-tuned on (the whisper-finetune task, tasks/whisper_finetune.py): phrases with their
text, either the default set made here or the user's own clips, kept in the data folder.

The default set is phrases whose names and jargon Whisper tiny.en gets wrong ("Siobhan" -> "She won't", "LoRA" ->
"lower"), each spoken by the natural piper voice and by several espeak-ng voices; a clip's group is its voice, so a
run's validation split is voices it never heard saying the same phrases. The user's clips (recorded or uploaded in
the Training tab) each form a group of their own.

A run names its clips by TrainConfig.dataset: "" for the default set, or the id `save_clips` returned (a hash of
the clips and texts, so the same set is one file).
"""
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from models.errors import InputError, Phrase
from models.progress import Progress, no_progress
from models.speech.audio import SAMPLE_RATE, check_speech
from models.speech.spoken_set import espeak, piper, piper_available
from models.training.folders import data_folder

VERSION = 1  # of the default set: a new version is made again on first use
PHRASES = (
    "Siobhan deployed the new Kubernetes cluster.",
    "Ask Nguyen to review the PyTorch checkpoint.",
    "The Grad-CAM heatmap shows where the network looks.",
    "Niamh fine-tuned Whisper with LoRA adapters.",
    "Aoife saved the weights as safetensors.",
    "The softmax turns logits into probabilities.",
    "Xiaoming trained the LSTM with the Adam optimizer.",
    "Doctor Okonkwo prescribed ibuprofen for the pain.",
    "Gradio serves the studio on localhost.",
    "Saoirse plotted the ReLU and the GELU activations.",
    "Tadhg ran the tokenizer on the Llama prompt.",
    "Put quinoa and Worcestershire sauce in the bowl.",
    "Caoimhe measured the perplexity of SmolLM2.",
    "Use ONNX and CUDA kernels for the YOLO detector.",
    "Padraig exported the GGUF file for the laptop.",
    "The BiLSTM and the CTC loss learn together.",
)
ESPEAK_VOICES = ("en-us", "en-gb+m3", "en-us+f2", "en-gb-scotland")
PIPER_VOICE = "piper-joe"
ESPEAK_SPEED, ESPEAK_PITCH = 165, 50
MIN_CLIPS, MAX_CLIPS = 4, 60  # the user's: a split needs a few; more is minutes per epoch on 2 CPU cores
MAX_CLIP_SECONDS = 30  # one Whisper window
SETS_FOLDER = "clip-sets"


@dataclass(frozen=True)
class ClipSet:
    clips: list[np.ndarray]  # float32 16 kHz mono
    texts: list[str]  # what each clip says
    groups: list[int]  # clips of one group stay on one side of a run's split (a voice, or a clip alone)


def sets_folder() -> Path:
    return data_folder() / SETS_FOLDER


def default_file() -> Path:
    return sets_folder() / f"default-v{VERSION}-{'piper' if piper_available() else 'espeak'}.npz"


def make_default(progress: Progress = no_progress) -> ClipSet:
    """PHRASES in every voice: piper's (where installed), then each espeak-ng voice."""
    voices = ([PIPER_VOICE] if piper_available() else []) + list(ESPEAK_VOICES)
    clips, texts, groups = [], [], []
    for group, voice in enumerate(voices):
        progress(group / len(voices), Phrase("ctc.speaking", voice=voice))
        if voice == PIPER_VOICE:
            spoken = piper([(phrase, 1.0) for phrase in PHRASES], no_progress)
        else:
            spoken = [espeak(phrase, voice, ESPEAK_SPEED, ESPEAK_PITCH) for phrase in PHRASES]
        clips += spoken
        texts += PHRASES
        groups += [group] * len(PHRASES)
    progress(1.0, Phrase("ctc.speaking", voice=voices[-1]))
    return ClipSet(clips, texts, groups)


def checked(clips: list[np.ndarray], texts: list[str]) -> tuple[list[np.ndarray], list[str]]:
    """The user's clips and texts, stripped, or InputError: counts that differ, a clip without text, a silent,
    empty or over-long clip, fewer than MIN_CLIPS or more than MAX_CLIPS."""
    texts = [(text or "").strip() for text in texts]
    if len(clips) != len(texts):
        raise InputError.of("whisper.count_mismatch", clips=len(clips), texts=len(texts))
    if len(clips) < MIN_CLIPS or len(clips) > MAX_CLIPS:
        raise InputError.of("whisper.clip_count", count=len(clips), low=MIN_CLIPS, high=MAX_CLIPS)
    for number, (clip, text) in enumerate(zip(clips, texts), start=1):
        if not text:
            raise InputError.of("whisper.no_text", clip=number)
        if len(clip) > MAX_CLIP_SECONDS * SAMPLE_RATE:
            raise InputError.of("whisper.clip_too_long", clip=number, seconds=len(clip) / SAMPLE_RATE,
                                limit=MAX_CLIP_SECONDS)
        try:
            check_speech(clip)
        except InputError as error:  # empty, silent or not finite: said with the clip's number
            raise InputError.of("whisper.bad_clip", clip=number) from error
    return clips, texts


def save_clips(clips: list[np.ndarray], texts: list[str]) -> str:
    """Check and store the user's clips with their texts; returns the set's dataset id."""
    clips, texts = checked(clips, texts)
    digest = hashlib.sha1(json.dumps(texts).encode("utf-8"))
    for clip in clips:
        digest.update(np.ascontiguousarray(clip, dtype=np.float32).tobytes())
    set_id = digest.hexdigest()[:16]
    path = sets_folder() / f"{set_id}.npz"
    if not path.is_file():
        _store(ClipSet(clips, texts, list(range(len(clips)))), path)
    return set_id


def _store(clip_set: ClipSet, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, samples=(np.clip(np.concatenate(clip_set.clips), -1, 1) * 32767).astype(np.int16),
             lengths=np.array([len(clip) for clip in clip_set.clips]), texts=np.array(clip_set.texts),
             groups=np.array(clip_set.groups))
    partial.replace(path)  # a killed save never leaves half a set behind


def _read(path: Path) -> ClipSet:
    with np.load(path) as stored:
        pieces = np.split(stored["samples"], np.cumsum(stored["lengths"])[:-1])
        return ClipSet([piece.astype(np.float32) / 32767 for piece in pieces], stored["texts"].tolist(),
                       stored["groups"].tolist())


def prepare_default(progress: Progress = no_progress) -> Path:
    """The default set's file, spoken on first use (with progress)."""
    path = default_file()
    if not path.is_file():
        _store(make_default(progress), path)
    return path


def clip_set(dataset: str = "", progress: Progress = no_progress) -> ClipSet:
    """The clips `dataset` names: "" the default set (spoken on first use, with progress), else the user's set of
    that id (InputError if there is none)."""
    if not dataset:
        return _read_cached(prepare_default(progress))
    path = sets_folder() / f"{dataset}.npz"
    if not dataset.isalnum() or not path.is_file():
        raise InputError.of("whisper.no_clip_set", dataset=dataset)
    return _read_cached(path)


@lru_cache(maxsize=4)
def _read_cached(path: Path) -> ClipSet:
    return _read(path)
