"""The image sets the fine-tuning task trains on: scikit-learn's digits made into small photos, or the user's own
classes (a few uploads or webcam shots each, Teachable-Machine style), kept in the data folder.

Every image becomes what EfficientNet-Lite0 reads, as models/vision/classifier.py prepares it: short side scaled to
256/224 of the input size, centre crop, pixels in [-1, 1]. A user's photo also gives random crops and
mirror images, so a handful of shots is a few dozen examples; copies of one photo share a group, so
none of them lands in training while another is held out for validation.
"""
import hashlib
import random
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from models.errors import InputError
from models.vision.images import open_image
from models.training.data import TaskData

DIGIT_SIDE = 64  # the 8×8 digits upscaled: Lite0 needs a few pixels per cell of its last (2×2) feature map
DIGITS_PER_CLASS = 20  # 200 of the 1,797 digits: enough to compare the variants in about a minute
PHOTO_SIDE = 64
CROPS_PER_PHOTO = 8  # the centre crop and 7 random crops / mirrorings
MIN_CLASSES, MAX_CLASSES = 2, 4
MIN_PHOTOS, MAX_PHOTOS = 2, 60  # per class
STORED_SIDE = 384  # photos are kept at most this large in the data folder
SETS_FOLDER = "image-sets"


def to_tensor(image: Image.Image, side: int, box: tuple[float, float, float, float] | None = None) -> torch.Tensor:
    """[3, side, side] in [-1, 1] of `box` (default: the centre crop Lite0 is evaluated on)."""
    if box is None:
        short, resized = min(image.size), round(side * 256 / 224)
        crop = short * side / resized
        box = ((image.width - crop) / 2, (image.height - crop) / 2, (image.width + crop) / 2, (image.height + crop) / 2)
    pixels = np.asarray(image.resize((side, side), Image.BICUBIC, box=box), dtype=np.float32) / 255.0
    return (torch.from_numpy(pixels).permute(2, 0, 1) - 0.5) / 0.5


def random_crop(image: Image.Image, side: int, generator: random.Random) -> torch.Tensor:
    """A square of 60–100 % of the short side anywhere in the photo, mirrored half the time."""
    if generator.random() < 0.5:
        image = ImageOps.mirror(image)
    crop = min(image.size) * generator.uniform(0.6, 1.0)
    left, top = generator.uniform(0, image.width - crop), generator.uniform(0, image.height - crop)
    return to_tensor(image, side, (left, top, left + crop, top + crop))


@cache
def digit_photos() -> TaskData:
    """The first DIGITS_PER_CLASS digits of each class, dark ink on white, DIGIT_SIDE px square, RGB."""
    from sklearn.datasets import load_digits

    data = load_digits()
    chosen = np.concatenate([np.flatnonzero(data.target == digit)[:DIGITS_PER_CLASS] for digit in range(10)])
    ink = torch.tensor(data.images[chosen] / 16, dtype=torch.float32).unsqueeze(1)
    paper = 1 - F.interpolate(ink, size=(DIGIT_SIDE, DIGIT_SIDE), mode="bilinear", align_corners=False)
    images = ((paper - 0.5) / 0.5).expand(-1, 3, -1, -1).contiguous()
    return TaskData((images,), torch.tensor(data.target[chosen]), [str(digit) for digit in range(10)])


def sets_folder() -> Path:
    from models.training.store import data_folder

    return data_folder() / SETS_FOLDER


def save_image_set(classes: dict[str, list]) -> str:
    """Check and store {class name: [image paths or bytes]}; returns the set's id (a hash of its contents)."""
    named = {name.strip(): photos for name, photos in classes.items() if name and name.strip()}
    if not MIN_CLASSES <= len(named) <= MAX_CLASSES:
        raise InputError.of("training.class_count", lowest=MIN_CLASSES, highest=MAX_CLASSES, count=len(named))
    for name, photos in named.items():
        if not MIN_PHOTOS <= len(photos or []) <= MAX_PHOTOS:
            raise InputError.of("training.photo_count", name=name, count=len(photos or []), lowest=MIN_PHOTOS,
                                 highest=MAX_PHOTOS)
    opened = {name: [ImageOps.contain(open_image(photo), (STORED_SIDE, STORED_SIDE)) for photo in photos]
              for name, photos in named.items()}
    digest = hashlib.sha1()
    for name in sorted(opened):
        digest.update(name.encode())
        for photo in opened[name]:
            digest.update(photo.tobytes())
    set_id = digest.hexdigest()[:16]
    folder = sets_folder() / set_id
    if not folder.exists():
        staging = folder.with_name(f"{set_id}.partial")
        for index, name in enumerate(sorted(opened)):
            class_folder = staging / f"{index}"
            class_folder.mkdir(parents=True, exist_ok=True)
            (class_folder / "name.txt").write_text(name, encoding="utf-8")
            for number, photo in enumerate(opened[name]):
                photo.save(class_folder / f"{number:03d}.png")
        staging.rename(folder)
    return set_id


@lru_cache(maxsize=8)
def image_set(set_id: str) -> TaskData:
    """A stored set: CROPS_PER_PHOTO examples per photo, grouped by photo; classes in name order."""
    folder = sets_folder() / set_id if set_id else None
    if folder is None or not folder.is_dir():
        raise InputError.of("training.no_image_set")
    generator = random.Random(set_id)
    images, labels, groups, classes = [], [], [], []
    for class_index, class_folder in enumerate(sorted(path for path in folder.iterdir() if path.is_dir())):
        classes.append((class_folder / "name.txt").read_text(encoding="utf-8"))
        for path in sorted(class_folder.glob("*.png")):
            photo = Image.open(path).convert("RGB")
            images += [to_tensor(photo, PHOTO_SIDE)]
            images += [random_crop(photo, PHOTO_SIDE, generator) for _ in range(CROPS_PER_PHOTO - 1)]
            labels += [class_index] * CROPS_PER_PHOTO
            groups += [len(groups) // CROPS_PER_PHOTO] * CROPS_PER_PHOTO
    return TaskData((torch.stack(images),), torch.tensor(labels), classes, groups=torch.tensor(groups))
