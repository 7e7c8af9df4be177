"""What every task's data is: tensors ready for batching (`TaskData`), split by a seeded shuffle.

Each task makes its own (models/training/tasks/<task>.py); nothing here knows a task.
"""
from dataclasses import dataclass, replace

import torch

IGNORE = -100  # target positions the loss skips (padding), as F.cross_entropy's ignore_index


@dataclass(frozen=True)
class TaskData:
    inputs: tuple[torch.Tensor, ...]  # what the model is called with, each [examples, ...]
    targets: torch.Tensor  # [examples] class ids, or [examples, length] token ids with IGNORE at padding
    classes: list[str]  # class names, or the output vocabulary for seq2seq
    input_vocabulary: list[str] | None = None  # seq2seq source words
    groups: torch.Tensor | None = None  # [examples] source ids: copies made from one source stay on one side of a split

    def __len__(self) -> int:
        return len(self.targets)

    def subset(self, indices: torch.Tensor) -> "TaskData":
        return replace(self, inputs=tuple(tensor[indices] for tensor in self.inputs), targets=self.targets[indices],
                       groups=None if self.groups is None else self.groups[indices])

    def to(self, device: torch.device) -> "TaskData":
        return replace(self, inputs=tuple(tensor.to(device) for tensor in self.inputs), targets=self.targets.to(device))

    def split(self, validation_fraction: float, seed: int) -> tuple["TaskData", "TaskData"]:
        """(train, validation): a seeded shuffle of the examples (or of the groups), `validation_fraction` held out."""
        groups = torch.arange(len(self)) if self.groups is None else self.groups
        train, validation = split_indices(groups, validation_fraction, seed)
        return self.subset(train), self.subset(validation)


def split_indices(groups: torch.Tensor, validation_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, validation) indices of examples whose groups are `groups` [examples]: the groups in a seeded
    shuffle, the first `validation_fraction` of them (at least one) held out."""
    names, group_of = groups.unique(return_inverse=True)
    rank = torch.empty(len(names), dtype=torch.long)
    rank[torch.randperm(len(names), generator=torch.Generator().manual_seed(seed))] = torch.arange(len(names))
    example_rank = rank[group_of]
    order = torch.argsort(example_rank, stable=True)
    held_out = int((example_rank < max(1, round(len(names) * validation_fraction))).sum())
    return order[held_out:], order[:held_out]


def pad(sequences: list[list[int]], value: int) -> torch.Tensor:
    """Ragged id lists -> [n, longest], filled on the right with `value`."""
    width = max(len(sequence) for sequence in sequences)
    return torch.tensor([sequence + [value] * (width - len(sequence)) for sequence in sequences])
