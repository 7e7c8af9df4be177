"""The micro-batcher (models/batching.py): calls that arrive together run as one batch, each caller gets its own
result, and a failing or cancelled request leaves the others' results intact."""
import os
import sys
import threading
import time
from concurrent.futures import CancelledError

import pytest

from models import batching
from models.batching import Batcher
from tests.at_once import at_once

CALLERS = 6
IDLE_WAIT_SECONDS = 0.2  # well past the patched IDLE_SECONDS
ANSWER_SECONDS = 10  # a caller left without its result fails the test instead of hanging it


def doubled(requests: list[int]) -> list[int]:
    return [2 * request for request in requests]


def together(batcher: Batcher, requests: list) -> list:
    """Every request submitted at the same moment; their results (or exceptions), in order."""
    return at_once(lambda request: batcher.submit(request).result(ANSWER_SECONDS), requests)


def test_calls_that_arrive_together_run_as_one_batch_and_each_gets_its_own_result():
    batcher = Batcher(doubled, wait_seconds=0.5)  # generous: the threads start within it even on a loaded CPU

    assert together(batcher, list(range(CALLERS))) == [2 * n for n in range(CALLERS)]
    assert batcher.batch_sizes == [CALLERS]


def test_a_batch_holds_at_most_most_requests():
    batcher = Batcher(doubled, most=4, wait_seconds=0.5)

    assert together(batcher, list(range(10))) == [2 * n for n in range(10)]
    assert sorted(batcher.batch_sizes, reverse=True) == [4, 4, 2]


def test_requests_with_different_keys_never_share_a_batch():
    seen = []

    def run(requests):
        seen.append({request % 2 for request in requests})
        return doubled(requests)

    batcher = Batcher(run, key=lambda request: request % 2, wait_seconds=0.5)

    assert together(batcher, list(range(CALLERS))) == [2 * n for n in range(CALLERS)]
    assert sorted(map(sorted, seen)) == [[0], [1]]


def test_a_failing_request_fails_alone_and_the_others_get_their_results():
    def run(requests):
        if "bad" in requests:
            raise ValueError("bad request")
        return [request.upper() for request in requests]

    batcher = Batcher(run, wait_seconds=0.5)

    results = together(batcher, ["a", "bad", "c"])

    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError)


def test_a_request_cancelled_before_its_batch_starts_is_left_out():
    release = threading.Event()
    runs = []

    def run(requests):
        runs.append(list(requests))
        release.wait(ANSWER_SECONDS)
        return doubled(requests)

    batcher = Batcher(run, wait_seconds=0.0)
    first = batcher.submit(1)
    while not runs:  # the first batch is running; the next requests wait behind it
        time.sleep(0.01)
    kept, cancelled, also_kept = batcher.submit(2), batcher.submit(3), batcher.submit(4)
    assert cancelled.cancel()  # its caller went away (a client that disconnected)
    release.set()

    assert (first.result(ANSWER_SECONDS), kept.result(ANSWER_SECONDS), also_kept.result(ANSWER_SECONDS)) == (2, 4, 8)
    with pytest.raises(CancelledError):
        cancelled.result()
    assert runs == [[1], [2, 4]]


def test_a_result_count_that_does_not_match_runs_each_request_alone():
    batcher = Batcher(lambda requests: doubled(requests)[:1], wait_seconds=0.5)

    assert together(batcher, [1, 2, 3]) == [2, 4, 6]


def test_two_workers_run_two_batches_at_the_same_time():
    both_inside = threading.Barrier(2, timeout=ANSWER_SECONDS / 2)  # broken unless the second call starts meanwhile

    def meeting(requests: list[int]) -> list[int]:
        both_inside.wait()
        return doubled(requests)

    batcher = Batcher(meeting, wait_seconds=0.0, workers=2)
    first = batcher.submit(1)
    time.sleep(0.1)  # the first worker has taken its request alone and waits inside `meeting`
    assert batcher(2) == 4 and first.result(ANSWER_SECONDS) == 2
    assert batcher.batch_sizes == [1, 1]


def test_the_worker_ends_when_idle_and_starts_again(monkeypatch):
    monkeypatch.setattr(batching, "IDLE_SECONDS", 0.05)
    batcher = Batcher(doubled, wait_seconds=0.0, name="idle-test")
    assert batcher(1) == 2
    time.sleep(IDLE_WAIT_SECONDS)
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("idle-test")]

    assert batcher(2) == 4


def test_batcher_of_keeps_one_batcher_per_owner_and_name():
    class Model:
        pass

    first, second = Model(), Model()
    made = batching.batcher_of(first, "run", doubled)

    assert batching.batcher_of(first, "run", doubled) is made
    assert batching.batcher_of(second, "run", doubled) is not made
    assert batching.batcher_of(first, "other", doubled) is not made


def own_priority(requests: list) -> list[int]:
    """The nice value of the thread running the batch, once per request."""
    return [os.getpriority(os.PRIO_PROCESS, threading.get_native_id())] * len(requests)


@pytest.mark.skipif(sys.platform != "linux", reason="nice values are per thread on Linux only")
def test_a_slow_models_batcher_runs_its_batches_at_a_lower_priority_and_leaves_the_callers_alone():
    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    plain, slow = Batcher(own_priority), Batcher(own_priority, niceness=batching.SLOW_MODEL_NICENESS)

    assert plain(None) == caller
    assert slow(None) == min(caller + batching.SLOW_MODEL_NICENESS, 19)  # 19: the lowest priority there is
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == caller
