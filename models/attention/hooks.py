"""What modules receive and return during a forward pass, read with forward hooks.

The registry shares one model between requests, which may run at the same time: only the calls made
from the thread that set the hooks are kept.
"""
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Call:
    """One forward call of a hooked module."""
    args: tuple
    kwargs: dict
    output: object

    def argument(self, name: str):
        """The first positional argument, or the keyword argument `name` when it was passed by name."""
        return self.args[0] if self.args else self.kwargs[name]


@contextlib.contextmanager
def hooked_calls(modules: list[torch.nn.Module]) -> Iterator[list[Call]]:
    """Collect every forward call of `modules` made from this thread, in call order, while inside."""
    caller = threading.get_ident()
    calls: list[Call] = []

    def keep(module, args, kwargs, output):
        if threading.get_ident() == caller:
            calls.append(Call(args, kwargs, output))

    handles = [module.register_forward_hook(keep, with_kwargs=True) for module in modules]
    try:
        yield calls
    finally:
        for handle in handles:
            handle.remove()
