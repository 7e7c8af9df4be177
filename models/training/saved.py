"""Models trained in the studio, kept to be used: safetensors weights plus a small JSON config, one folder per run.

<data folder>/trained/run-<id>/model.safetensors + config.json (the task, the variant, the class names and
how inputs are prepared). Which runs are kept, and how a kept model is loaded back, is the task's
(`Task.saved_kind`, `Task.reload`). Loading reads safetensors only, never a pickle. A fine-tuned image
model is an EfficientNet-Lite0 with its own classes: `register_image_models` lists it beside the ImageNet
models of the registry, for the Image tab; a fine-tuned SmolLM2 (its LoRA adapter, or its last layers) joins the
language models for the Attention tab (`register_language_models`), a fine-tuned Whisper the speech models for the
Speech tab (`register_speech_models`).
"""
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from models.errors import ModelUnavailable
from models.registry import ModelRegistry, ModelSpec
from models.training.config import TrainConfig
from models.training.folders import data_folder
from models.training.tasks import TASKS

TRAINED_FOLDER = "trained"
WEIGHTS, CONFIG = "model.safetensors", "config.json"
KEY_PREFIX = "trained-run-"
LOADER = "models.training.saved:load_saved_model"
# The registry's task of each kind of saved model that is a model choice of a tab, and its size (million weights)
REGISTRY_SIZES = {"image": 4.0, "language": 135, "speech": 39}


@dataclass(frozen=True)
class SavedModel:
    run_id: int
    kind: str  # the task's saved_kind: "image", "keyword", "ctc", "language" or "speech"
    variant: str
    classes: list[str]
    accuracy: float | None  # validation accuracy at the end of training
    folder: Path

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.run_id}"


def trained_folder() -> Path:
    return data_folder() / TRAINED_FOLDER


def save(run_id: int, config: TrainConfig, model: nn.Module, classes: list[str],
         accuracy: float | None) -> SavedModel:
    """Write the weights (for a fine-tuned Lite0, the plain EfficientNet inside; the task's `saved_weights`
    where it has them) and the config."""
    task = TASKS[config.task]
    weights = task.saved_weights(model) if task.saved_weights else getattr(model, "network", model).state_dict()
    folder = trained_folder() / f"run-{run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    save_file({name: tensor.detach().cpu().contiguous() for name, tensor in weights.items()}, folder / WEIGHTS)
    description = {"run_id": run_id, "kind": task.saved_kind, "task": config.task, "variant": config.variant,
                   "classes": classes, "validation_accuracy": accuracy, "preprocessing": task.preprocessing,
                   "config": json.loads(config.to_json())}
    (folder / CONFIG).write_text(json.dumps(description, indent=1), encoding="utf-8")
    return _described(folder)


def saved_models(kind: str) -> list[SavedModel]:
    """The saved models of that kind, newest run first."""
    folders = trained_folder().glob("run-*/") if trained_folder().is_dir() else []
    found = [_described(folder) for folder in folders if (folder / CONFIG).is_file() and (folder / WEIGHTS).is_file()]
    return sorted((model for model in found if model.kind == kind), key=lambda model: -model.run_id)


def find(key: str) -> SavedModel | None:
    """The saved model called `key` (trained-run-<id>), if its files are there."""
    run_id = key.removeprefix(KEY_PREFIX)
    folder = trained_folder() / f"run-{run_id}"
    if not key.startswith(KEY_PREFIX) or not run_id.isdigit() or not (folder / CONFIG).is_file():
        return None
    return _described(folder)


def delete(run_id: int) -> None:
    shutil.rmtree(trained_folder() / f"run-{run_id}", ignore_errors=True)


def registry_spec(model: SavedModel) -> ModelSpec:
    """A registry entry for a saved image model, fine-tuned SmolLM2 or fine-tuned Whisper (its kind is the registry's
    task), so its tab loads it like the packaged models."""
    return ModelSpec(model.key, model.kind, str(model.folder), None, None, None, REGISTRY_SIZES[model.kind], 0, LOADER)


def register_image_models(registry: ModelRegistry) -> list[SavedModel]:
    """Add every saved image model the registry does not know yet (calling it again adds nothing); returns
    the saved image models, newest first. A deleted run's entry stays in the registry, its files gone."""
    return _register(registry, "image")


def register_language_models(registry: ModelRegistry) -> list[SavedModel]:
    """The same for the language models fine-tuned here (task lm-lora)."""
    return _register(registry, "language")


def register_speech_models(registry: ModelRegistry) -> list[SavedModel]:
    """The same for the Whisper models fine-tuned here (task whisper-finetune)."""
    return _register(registry, "speech")


def _register(registry: ModelRegistry, kind: str) -> list[SavedModel]:
    saved = saved_models(kind)
    known = {entry.key for entry in registry.specs}
    for model in saved:
        if model.key not in known:
            registry.add(registry_spec(model))
    return saved


def _described(folder: Path) -> SavedModel:
    description = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    return SavedModel(description["run_id"], description["kind"], description["variant"], description["classes"],
                      description.get("validation_accuracy"), folder)


def _reloaded(folder: Path, device: torch.device, dtype: torch.dtype):
    folder = Path(folder)
    if not (folder / WEIGHTS).is_file() or not (folder / CONFIG).is_file():
        raise ModelUnavailable.of("training.model_gone", folder=str(folder))
    description = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    return TASKS[description["task"]].reload(description, load_file(folder / WEIGHTS), device, dtype)


def load_saved_model(source: str, device: torch.device, dtype: torch.dtype = torch.float32):
    """The registry's loader for a saved model (`registry_spec`): `source` is its folder."""
    return _reloaded(Path(source), device, dtype)


def load_recognizer(folder: Path):
    """A saved speech recognizer, ready to recognize a clip (models/speech/ctc_recognizer.py)."""
    return _reloaded(folder, torch.device("cpu"), torch.float32)


def load_keyword_classifier(folder: Path):
    """A saved keyword model, ready to classify a recording (models/training/tasks/keywords.py)."""
    return _reloaded(folder, torch.device("cpu"), torch.float32)
