"""Tabs' handlers are plain module-level functions taking what they act on (the registry, the runner) first;
`bind` gives them that and hands Gradio a function it can read, which functools.partial is not."""
import functools
import inspect
from typing import Callable


def bind(handler: Callable, *first) -> Callable:
    """`handler` with its first arguments given: the rest of its signature, type hints and docstring stay, as
    Gradio reads them (gr.api's schema, gr.Progress and gr.SelectData parameters, the API docs)."""

    if inspect.isgeneratorfunction(handler):  # Gradio streams a generator function's updates: keep it one
        @functools.wraps(handler)
        def bound(*args, **kwargs):
            yield from handler(*first, *args, **kwargs)
    else:
        @functools.wraps(handler)
        def bound(*args, **kwargs):
            return handler(*first, *args, **kwargs)

    signature = inspect.signature(handler)
    given = list(signature.parameters)[:len(first)]
    bound.__signature__ = signature.replace(parameters=list(signature.parameters.values())[len(first):])
    bound.__annotations__ = {name: hint for name, hint in inspect.get_annotations(handler).items() if name not in given}
    return bound
