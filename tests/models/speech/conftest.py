"""Whisper tiny.en from its package, loaded once for the speech tests that share it."""
import pytest
import torch

from models.speech.recognizer import load_speech_model


@pytest.fixture(scope="session")
def tiny_en():
    return load_speech_model("package:tiny.en", torch.device("cpu"))
