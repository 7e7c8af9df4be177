"""Calls made at the same moment from threads of their own, as concurrent users make them (the batching tests)."""
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


def at_once(call: Callable, arguments: list) -> list:
    """`call(argument)` for every argument, each from its own thread, all released together; the results (or the
    exceptions raised) in the arguments' order."""
    start = threading.Barrier(len(arguments))

    def one(argument):
        start.wait()
        try:
            return call(argument)
        except Exception as error:  # noqa: BLE001 (a failure is a result here)
            return error

    with ThreadPoolExecutor(len(arguments)) as pool:
        return list(pool.map(one, arguments))
