"""The speech recognizer's acoustic models (task "ctc"): every variant learns a few espeak-ng sentences by heart
with CTC through the shared loop, the recognizer refuses what it should, and, slow, a run trained through the
Runner on the full recordings is saved, reloaded and recognises the held-out voice."""
import math

import numpy as np
import pytest
import torch

from models.errors import InputError
from models.speech.ctc_recognizer import CTCRecognizer, features
from models.speech.spoken_set import espeak
from models.training.config import TrainConfig
from models.training.data import IGNORE, TaskData, pad
from models.training.loop import fit
from models.training.tasks import TASKS
from models.training.tasks.ctc import CHARACTERS, VARIANTS, SpecAugment, encode

SENTENCES = ["turn left three steps", "dial four one two", "open the door"]


@pytest.fixture(scope="module")
def tiny_set() -> TaskData:
    clips = [espeak(text, voice, 170, 50) for text in SENTENCES for voice in ("en-us", "en-gb+m3")]
    texts = [text for text in SENTENCES for _ in range(2)]
    return TaskData(features(clips), pad([encode(text) for text in texts], IGNORE), CHARACTERS)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_learns_a_few_sentences_with_ctc(variant, tiny_set):
    task = TASKS["ctc"]
    torch.manual_seed(0)
    model = task.build(variant, tiny_set)
    config = TrainConfig("ctc", variant, "adam", 3e-3, batch_size=6, epochs=150)
    first_loss, _ = task.evaluate(model, tiny_set)
    outcome = fit(model, tiny_set, tiny_set, config, loss_function=task.loss, evaluation=task.evaluate)
    loss, accuracy = task.evaluate(model, tiny_set)
    assert outcome.status == "finished" and loss < 0.2 * first_loss, (first_loss, loss)
    assert accuracy > 0.8  # 1 − character error rate of greedy decoding
    logits, counts = model(*tiny_set.inputs)
    assert logits.shape[-1] == len(CHARACTERS) and int(counts.max()) == logits.shape[1]


def test_a_clip_s_features_are_the_same_alone_or_beside_a_longer_one():
    short, long = espeak("stop", "en-us", 170, 50), espeak("turn left three steps", "en-gb+m3", 170, 50)
    alone, (count,) = features([short])
    together, counts = features([short, long])
    assert int(counts[0]) == int(count) and torch.allclose(together[0, ..., :count], alone[0], atol=1e-5)
    assert together[0, ..., count:].abs().max() == 0  # padding
    assert alone[0].mean(-1).abs().max() < 1e-5  # each mel bin's mean over the clip is taken out


def test_spec_augment_changes_training_batches_only_and_follows_the_seed(tiny_set):
    spectrograms = tiny_set.inputs[0]
    augment = SpecAugment()
    assert torch.equal(augment.eval()(spectrograms), spectrograms)
    augment.train()
    torch.manual_seed(3)
    first = augment(spectrograms)
    torch.manual_seed(3)
    assert torch.equal(augment(spectrograms), first) and first.shape == spectrograms.shape
    assert not torch.allclose(first, spectrograms) and (first == 0).float().mean() > (spectrograms == 0).float().mean()


def untrained() -> CTCRecognizer:
    torch.manual_seed(0)
    return CTCRecognizer(VARIANTS["cnn-bilstm"](len(CHARACTERS)), CHARACTERS, 0)


def test_bad_input_gets_a_message():
    recognizer = untrained()
    speech = espeak("stop", "en-us", 170, 50)
    with pytest.raises(InputError, match="audio.silent"):
        recognizer.recognize(np.zeros(16000, np.float32))
    with pytest.raises(InputError, match="ctc.too_long"):
        recognizer.recognize(np.tile(speech, 60 * 16000 // len(speech) + 1))
    with pytest.raises(InputError, match="ctc.unknown_decoder"):
        recognizer.recognize(speech, decoder="kenlm")
    with pytest.raises(InputError, match="ctc.bad_setting"):
        recognizer.recognize(speech, alpha=math.nan)
    with pytest.raises(InputError, match="training.not_finite"):
        TrainConfig("ctc", "cnn-bilstm", "adam", math.nan).validate()
    noise = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    heard = recognizer.recognize(noise, decoder="greedy")  # an untrained model hears nothing or noise: no crash
    assert heard.log_probs.shape[1] == len(CHARACTERS) and np.allclose(np.exp(heard.log_probs).sum(1), 1, atol=1e-4)
