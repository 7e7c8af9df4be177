"""images: scikit-learn's digits made into small photos (dark ink on white, RGB), for EfficientNet-Lite0
pretrained on ImageNet, frozen or partly unfrozen, vs the same network from scratch
(models/training/finetune.py). A finished run's model joins the Image tab's models.
"""
from functools import cache

import torch
import torch.nn.functional as F

from models.training import finetune
from models.training.data import TaskData
from models.training.task import Defaults, Task
from models.training.tasks.digits import CLASSES, digit_images

DIGIT_SIDE = 64  # the 8×8 digits upscaled: Lite0 needs a few pixels per cell of its last (2×2) feature map
DIGITS_PER_CLASS = 20  # 200 of the 1,797 digits: enough to compare the variants in about a minute


@cache
def digit_photos() -> TaskData:
    """The first DIGITS_PER_CLASS digits of each class, dark ink on white, DIGIT_SIDE px square, RGB in [-1, 1]."""
    ink, labels = digit_images()
    chosen = torch.cat([torch.nonzero(labels == digit).flatten()[:DIGITS_PER_CLASS] for digit in range(10)])
    paper = 1 - F.interpolate(ink[chosen], size=(DIGIT_SIDE, DIGIT_SIDE), mode="bilinear", align_corners=False)
    images = ((paper - 0.5) / 0.5).expand(-1, 3, -1, -1).contiguous()
    return TaskData((images,), labels[chosen], CLASSES)


TASK = Task("images", digit_photos, finetune.VARIANTS, Defaults("adam", 1e-2, 32, 4), saved_kind="image",
            preprocessing=finetune.photo_preprocessing(DIGIT_SIDE), reload=finetune.reload_image_classifier)
