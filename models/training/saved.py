"""Models trained in the studio, kept to be used: safetensors weights plus a small JSON config, one folder per run.

<data folder>/trained/run-<id>/model.safetensors + config.json (the variant, the class names and how inputs
are prepared). Loading reads safetensors only, never a pickle. A fine-tuned image model is an
EfficientNet-Lite0 with its own classes: the Image tab lists it beside the ImageNet models.
"""
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.errors import ModelUnavailable
from models.training.config import TrainConfig

TRAINED_FOLDER = "trained"
WEIGHTS, CONFIG = "model.safetensors", "config.json"
# task -> what its saved model does: "image" (the Image tab) or "keyword" (the Training tab's try-it panel)
SAVED_KINDS = {"images": "image", "my-images": "image", "keywords": "keyword"}
KEY_PREFIX = "trained-run-"


@dataclass(frozen=True)
class SavedModel:
    run_id: int
    kind: str
    title: str
    classes: list[str]
    folder: Path

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.run_id}"


def trained_folder() -> Path:
    from models.training.store import data_folder

    return data_folder() / TRAINED_FOLDER


def preprocessing(task: str) -> dict:
    """How the saved model's inputs are made, for the config (and for anyone reading it outside the studio)."""
    if task == "keywords":
        from models.speech.audio import HOP_LENGTH, N_FFT, SAMPLE_RATE
        from models.training.keywords import DYNAMIC_RANGE, N_MELS, WINDOW_SAMPLES

        return {"sample_rate": SAMPLE_RATE, "window_samples": WINDOW_SAMPLES, "n_fft": N_FFT,
                "hop_length": HOP_LENGTH, "n_mels": N_MELS, "log10_dynamic_range": DYNAMIC_RANGE,
                "scale": "log-mel minus its maximum, floored at -range, then / (range / 2) + 1"}
    from models.training.image_sets import DIGIT_SIDE, PHOTO_SIDE

    return {"side": DIGIT_SIDE if task == "images" else PHOTO_SIDE, "crop": "centre square, 224/256 of the short side",
            "scale": "RGB / 255, then (x - 0.5) / 0.5"}


def save(run_id: int, config: TrainConfig, model: nn.Module, classes: list[str],
         accuracy: float | None) -> SavedModel:
    """Write the weights (for a fine-tuned Lite0, the plain EfficientNet inside) and the config."""
    from safetensors.torch import save_file

    network = getattr(model, "network", model)
    folder = trained_folder() / f"run-{run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    save_file({name: tensor.detach().cpu().contiguous() for name, tensor in network.state_dict().items()},
              folder / WEIGHTS)
    scored = f", {accuracy:.0%} validation accuracy" if accuracy is not None else ""
    title = f"#{run_id} {config.variant} on {', '.join(classes[:4])}{'…' if len(classes) > 4 else ''}{scored}"
    description = {"run_id": run_id, "kind": SAVED_KINDS[config.task], "title": title, "task": config.task,
                   "variant": config.variant, "classes": classes, "preprocessing": preprocessing(config.task),
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


def image_spec(model: SavedModel):
    """A registry entry for a saved image model, so the Image tab loads it like any other."""
    from models.registry import ModelSpec

    return ModelSpec(model.key, "image", f"{model.title} (trained here)", str(model.folder), None, None,
                     "yours", 4.0, 0, "models.training.saved:load_image_classifier")


def _described(folder: Path) -> SavedModel:
    description = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    return SavedModel(description["run_id"], description["kind"], description["title"], description["classes"],
                      folder)


def _read(folder: Path) -> tuple[dict, dict[str, torch.Tensor]]:
    from safetensors.torch import load_file

    folder = Path(folder)
    if not (folder / WEIGHTS).is_file() or not (folder / CONFIG).is_file():
        raise ModelUnavailable.of("training.model_gone", folder=folder)
    return json.loads((folder / CONFIG).read_text(encoding="utf-8")), load_file(folder / WEIGHTS)


def load_image_classifier(source: str, device: torch.device, dtype: torch.dtype = torch.float32):
    """The registry's loader for a saved image model: `source` is its folder."""
    from models.training.finetune import efficientnet_lite0
    from models.training.image_sets import to_tensor
    from models.vision.classifier import ImageClassifier

    description, weights = _read(Path(source))
    network = efficientnet_lite0(len(description["classes"]), pretrained=False)
    network.load_state_dict(weights)
    side = description["preprocessing"]["side"]
    return ImageClassifier(network, description["classes"], device, dtype,
                           to_tensor=lambda image: to_tensor(image, side).unsqueeze(0))


class KeywordClassifier:
    def __init__(self, network: nn.Module, classes: list[str]):
        self.network, self.classes = network.eval(), classes

    @torch.inference_mode()
    def classify(self, samples: np.ndarray) -> dict[str, float]:
        """float32 mono 16 kHz samples -> {word: probability}; InputError if the recording is empty or silent."""
        from models.training.keywords import recording_features

        probabilities = self.network(recording_features(samples)).softmax(-1)[0]
        return {word: float(p) for word, p in zip(self.classes, probabilities, strict=True)}


def load_keyword_classifier(folder: Path) -> KeywordClassifier:
    from models.training.variants import keyword_model

    description, weights = _read(Path(folder))
    network = keyword_model(description["variant"], len(description["classes"]))
    network.load_state_dict(weights)
    return KeywordClassifier(network, description["classes"])
