"""Every training task, in the order the Training tab offers them: the one list the rest reads.

A new task is one file here defining `TASK` (models/training/task.py), one line below, and its texts
(training.task.<name>, training.variant.<variant>) in studio/locales/*.json.
"""
import torch

from models.training.data import TaskData
from models.training.task import Task
from models.training.tasks import (ctc, digit_photos, digits, keywords, lm_lora, my_images, number_words, topics,
                                   whisper_finetune, word2vec)

TASKS: dict[str, Task] = {task.name: task for task in (digits.TASK, number_words.TASK, topics.TASK,
                                                       digit_photos.TASK, my_images.TASK, keywords.TASK,
                                                       word2vec.TASK, ctc.TASK, lm_lora.TASK,
                                                       whisper_finetune.TASK)}


def load_task(task: str, dataset: str = "") -> TaskData:
    """The data of `task`; `dataset`: the id of the user's image set, for the my-images task."""
    return TASKS[task].data(dataset)


def build_model(task: str, variant: str, data: TaskData) -> torch.nn.Module:
    return TASKS[task].build(variant, data)
