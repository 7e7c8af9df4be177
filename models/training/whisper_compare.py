"""A fine-tuned Whisper (task whisper-finetune) against the original: word error rate on the run's held-out clips,
and what each model wrote for every one of them.

The held-out clips are the run's own validation split, made again from its config (same clips, split and seed):
for the default set, voices the run never heard saying the same phrases.
"""
import json
from dataclasses import dataclass

import torch

from models.errors import Phrase
from models.metrics import corpus_word_error_rate, words_of
from models.progress import Progress, no_progress
from models.training.clip_sets import ClipSet, clip_set
from models.training.config import TrainConfig
from models.training.data import split_indices
from models.training.saved import CONFIG, SavedModel


@dataclass(frozen=True)
class Comparison:
    wer_before: float  # the original's word error rate over the held-out clips
    wer_after: float  # the fine-tuned model's
    references: list[str]  # [held-out clips] what each says
    before: list[str]  # [held-out clips] the original's transcript
    after: list[str]  # [held-out clips] the fine-tuned model's
    held_out_words: int


def held_out_clips(model: SavedModel) -> ClipSet:
    """The run's validation split of its clips."""
    config = TrainConfig(**json.loads((model.folder / CONFIG).read_text(encoding="utf-8"))["config"])
    clips = clip_set(config.dataset)
    _, held_out = split_indices(torch.tensor(clips.groups), config.validation_split, config.seed)
    chosen = held_out.tolist()
    return ClipSet([clips.clips[i] for i in chosen], [clips.texts[i] for i in chosen],
                   [clips.groups[i] for i in chosen])


def compare(model: SavedModel, original, tuned, progress: Progress = no_progress) -> Comparison:
    """Both SpeechRecognizers (models/speech/recognizer.py) on the run's held-out clips."""
    held_out = held_out_clips(model)
    transcripts, steps = [], 2 * len(held_out.clips)
    for which, recognizer in ((Phrase("whisper.original"), original), (Phrase("whisper.tuned"), tuned)):
        for number, clip in enumerate(held_out.clips, start=1):
            progress(len(transcripts) / steps,
                     Phrase("whisper.transcribing", model=which, clip=number, clips=len(held_out.clips)))
            transcripts.append(recognizer.transcribe(clip, language="en").text)
    progress(1.0, Phrase("whisper.compared"))
    before, after = transcripts[:len(held_out.clips)], transcripts[len(held_out.clips):]
    return Comparison(corpus_word_error_rate(held_out.texts, before), corpus_word_error_rate(held_out.texts, after),
                      held_out.texts, before, after, sum(len(words_of(text)) for text in held_out.texts))
