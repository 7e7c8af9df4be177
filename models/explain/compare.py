"""Edit and compare: the same explanation on an input and on an edited copy (a word changed, a region of a photo
masked), side by side, with what differs marked: which tokens changed, how the probabilities moved, how the
attention and the attributions shifted. Plain data; the studio draws it (studio/views/compare.py).
"""
import difflib
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageFilter

from models.errors import InputError
from models.explain.pixels import BLUR_SIGMA, PixelAttribution, attribute_pixels
from models.explain.sequence import SequenceAttribution
from models.explain.tokens import attribute_tokens
from models.explain.translation import TranslationAttribution, attribute_translation
from models.language.causal_lm import LanguageModel
from models.translation.translators import BergamotTranslator
from models.vision.classifier import INPUT_SIZE, ImageClassifier
from models.vision.images import open_image

TOP_K = 5  # classes or next tokens shown, the union over both inputs
MASK_BLUR_SIGMA = BLUR_SIGMA / INPUT_SIZE  # the mask's blur, as a share of the photo's shorter side


@dataclass(frozen=True)
class Shift:
    """One class or next token, its probability before and after the edit."""
    label: str
    before: float
    after: float


@dataclass(frozen=True)
class TextComparison:
    original: SequenceAttribution
    edited: SequenceAttribution  # explains the original's next token, so the scores compare
    original_changed: list[bool]  # [original tokens]: True where the edit removed or replaced the token
    edited_changed: list[bool]  # [edited tokens]: True where the edit put it
    original_attention: np.ndarray  # [original tokens]: the last token's attention, last layer, mean over heads
    edited_attention: np.ndarray  # [edited tokens]
    shifts: list[Shift]  # the next tokens, the original's likeliest first

    def as_json(self) -> dict:
        return {"original": self.original.as_json() | {"changed": self.original_changed,
                                                        "attention": np.round(self.original_attention, 6).tolist()},
                "edited": self.edited.as_json() | {"changed": self.edited_changed,
                                                    "attention": np.round(self.edited_attention, 6).tolist()},
                "shifts": shifts_json(self.shifts)}


@dataclass(frozen=True)
class TranslationComparison:
    original: TranslationAttribution
    edited: TranslationAttribution
    source_changed: tuple[list[bool], list[bool]]  # (original source pieces, edited source pieces)
    target_changed: tuple[list[bool], list[bool]]  # (original translation's pieces, edited translation's pieces)

    def as_json(self) -> dict:
        return {side: attribution.as_json() | {"changed": source, "target_changed": target}
                for side, attribution, source, target in zip(("original", "edited"), (self.original, self.edited),
                                                              self.source_changed, self.target_changed)}


@dataclass(frozen=True)
class PhotoComparison:
    original: PixelAttribution
    edited: PixelAttribution  # explains the original's class, so the maps compare
    masked: Image.Image  # the edited photo
    box: tuple[int, int, int, int]  # the masked rectangle in the photo's pixels: left, top, right, bottom
    shifts: list[Shift]  # the classes, the original's likeliest first

    def as_json(self) -> dict:
        return {"original": self.original.as_json(), "edited": self.edited.as_json(), "mask": list(self.box),
                "shifts": shifts_json(self.shifts)}


def changed_tokens(before: list[str], after: list[str]) -> tuple[list[bool], list[bool]]:
    """Which tokens of each side the edit touched (difflib's opcodes other than "equal")."""
    before_marks, after_marks = [False] * len(before), [False] * len(after)
    for operation, first, last, edited_first, edited_last in difflib.SequenceMatcher(a=before, b=after,
                                                                                      autojunk=False).get_opcodes():
        if operation != "equal":
            before_marks[first:last] = [True] * (last - first)
            after_marks[edited_first:edited_last] = [True] * (edited_last - edited_first)
    return before_marks, after_marks


def check_edit(text: str, edited: str) -> None:
    if not (edited or "").strip():
        raise InputError.of("explain.empty_edit")
    if edited.strip() == (text or "").strip():
        raise InputError.of("explain.same_edit")


def shifts_between(labels: list[str], before: np.ndarray, after: np.ndarray) -> list[Shift]:
    """The TOP_K likeliest of each side ([labels] probabilities), the union, ordered by `before`."""
    chosen = list(dict.fromkeys([*np.argsort(-before)[:TOP_K], *np.argsort(-after)[:TOP_K]]))
    return [Shift(labels[i], float(before[i]), float(after[i])) for i in chosen]


@torch.inference_mode()
def next_token_view(model: LanguageModel, text: str) -> tuple[np.ndarray, np.ndarray]:
    """([vocabulary] next-token probabilities after `text`, [tokens] the last token's attention in the last layer,
    mean over heads)."""
    output = model.network(input_ids=model.encode(text), output_attentions=True)
    attention = output.attentions[-1][0, :, -1].float().mean(0)
    return output.logits[0, -1].float().softmax(-1).cpu().numpy(), attention.cpu().numpy()


def compare_texts(model: LanguageModel, text: str, edited: str, target: str | None = None,
                  method: str = "integrated-gradients") -> TextComparison:
    """The next token after `text` and after `edited`: both distributions, both attentions, and both attributions of
    `target` (default: the original's likeliest next token)."""
    check_edit(text, edited)
    original = attribute_tokens(model, text, target, method)
    changed = attribute_tokens(model, edited, original.target, method)
    (before, original_attention), (after, edited_attention) = next_token_view(model, text), next_token_view(model, edited)
    labels = model.labels(range(len(before)))
    return TextComparison(original, changed, *changed_tokens(original.tokens, changed.tokens), original_attention,
                          edited_attention, shifts_between(labels, before, after))


def compare_translations(translator: BergamotTranslator, text: str, edited: str,
                         method: str = "integrated-gradients") -> TranslationComparison:
    """Both sentences translated and attributed (each target token over the source), the changed pieces marked."""
    check_edit(text, edited)
    original, changed = attribute_translation(translator, text, method=method), \
        attribute_translation(translator, edited, method=method)
    return TranslationComparison(original, changed, changed_tokens(original.source_tokens, changed.source_tokens),
                                 changed_tokens(original.target_tokens, changed.target_tokens))


def mask_box(size: tuple[int, int], box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """`box` (left, top, right, bottom as shares 0 … 1 of the width and height) in pixels; refuses an empty box and
    one that covers the whole photo."""
    width, height = size
    left, top, right, bottom = (round(min(max(float(share), 0.0), 1.0) * side)
                                for share, side in zip(box, (width, height, width, height)))
    if right <= left or bottom <= top:
        raise InputError.of("explain.empty_mask")
    if (right - left) * (bottom - top) >= width * height:
        raise InputError.of("explain.mask_covers_all")
    return left, top, right, bottom


def masked_photo(picture: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """The photo with `box` blurred until no detail is left (as the attribution baseline is)."""
    radius = MASK_BLUR_SIGMA * min(picture.size)
    edited = picture.copy()
    edited.paste(picture.filter(ImageFilter.GaussianBlur(radius)).crop(box), box[:2])
    return edited


def compare_photos(classifier: ImageClassifier, image, box: tuple[float, float, float, float],
                   method: str = "integrated-gradients") -> PhotoComparison:
    """The photo and a copy with the rectangle `box` (shares of width and height) masked: both classifications and
    both attributions of the original's class (`method`, or "grad-cam")."""
    picture = open_image(image)
    pixels = mask_box(picture.size, box)
    edited = masked_photo(picture, pixels)
    original = attribute_pixels(classifier, picture, None, method)
    changed = attribute_pixels(classifier, edited, original.label, method)
    before, after = (classifier.probabilities([classifier.to_tensor(photo)])[0].cpu().numpy()
                     for photo in (picture, edited))
    return PhotoComparison(original, changed, edited, pixels, shifts_between(classifier.labels, before, after))


def shifts_json(shifts: list[Shift]) -> list[dict]:
    return [{"label": shift.label, "before": round(shift.before, 6), "after": round(shift.after, 6)} for shift in shifts]
