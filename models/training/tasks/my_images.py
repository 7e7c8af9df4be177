"""my-images: the user's own 2–4 classes, a few photos each (models/training/image_sets.py), for the same
EfficientNet-Lite0 variants as the digit photos. A finished run's model joins the Image tab's models.
"""
from models.training import finetune
from models.training.image_sets import PHOTO_SIDE, image_set
from models.training.task import Defaults, Task

TASK = Task("my-images", image_set, finetune.VARIANTS, Defaults("adam", 1e-2, 16, 4), uses_dataset=True,
            saved_kind="image", preprocessing=finetune.photo_preprocessing(PHOTO_SIDE),
            reload=finetune.reload_image_classifier)
