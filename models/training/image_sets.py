"""The user's own image classes (a few uploads or webcam shots each, Teachable-Machine style), kept in the data
folder: what the my-images task (tasks/my_images.py) trains on.

Every photo becomes what EfficientNet-Lite0 reads, as models/vision/classifier.py prepares it: short side scaled
to 256/224 of the input size, centre crop, pixels in [-1, 1]. A photo also gives random crops and mirror
images, so a handful of shots is a few dozen examples; copies of one photo share a group, so none of them
lands in training while another is held out for validation.
"""
import hashlib
import random
from functools import lru_cache
from pathlib import Path

import torch
from PIL import Image, ImageOps

from models.errors import InputError
from models.training.data import TaskData
from models.training.folders import data_folder
from models.vision.classifier import to_tensor
from models.vision.images import open_image

PHOTO_SIDE = 64
CROPS_PER_PHOTO = 8  # the centre crop and 7 random crops / mirrorings
MIN_CLASSES, MAX_CLASSES = 2, 4
MIN_PHOTOS, MAX_PHOTOS = 2, 60  # per class
STORED_SIDE = 384  # photos are kept at most this large in the data folder
SETS_FOLDER = "image-sets"


def random_crop(image: Image.Image, side: int, generator: random.Random) -> torch.Tensor:
    """A square of 60–100 % of the short side anywhere in the photo, mirrored half the time."""
    if generator.random() < 0.5:
        image = ImageOps.mirror(image)
    crop = min(image.size) * generator.uniform(0.6, 1.0)
    left, top = generator.uniform(0, image.width - crop), generator.uniform(0, image.height - crop)
    return to_tensor(image, side, (left, top, left + crop, top + crop))


def sets_folder() -> Path:
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
