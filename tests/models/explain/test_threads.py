"""The attribution passes' thread count: every core on an idle machine, one when other processes are busy (two
OpenMP threads on two cores convoy at every barrier then), and torch's count put back afterwards."""
import pytest
import torch

from models.explain import threads
from models.explain.threads import fit_threads, others_busy, pass_threads, threads_for


def test_every_core_when_idle_one_when_others_are_busy():
    assert threads_for(2, 0.0) == 2
    assert threads_for(2, 0.5) == threads_for(2, 1.7) == threads_for(2, 6.0) == 1
    assert threads_for(16, 3.0) == 13


def test_others_busy_leaves_this_process_out():
    # 1 s: all CPUs busy 1.5 s, this process 1.2 s of it
    assert others_busy((0.0, 10.0, 5.0), (1.0, 11.5, 6.2)) == pytest.approx(0.3)
    assert others_busy((0.0, 10.0, 5.0), (1.0, 11.0, 6.2)) == 0.0


def test_the_count_follows_the_machine_and_is_put_back(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setattr(threads, "cores", lambda: 2)
    samples = iter([(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (2.0, 2.0, 0.0), (3.0, 2.0, 0.0)])
    monkeypatch.setattr(threads, "_sample", lambda: next(samples))
    monkeypatch.setattr(threads, "FIRST_SAMPLE_SECONDS", 0)
    try:
        with pass_threads():  # idle during the first look
            assert torch.get_num_threads() == 2
            assert fit_threads() == 1  # another process used both cores during the pass
            assert fit_threads() == 2
        assert torch.get_num_threads() == before
    finally:
        torch.set_num_threads(before)


def test_outside_an_attribution_nothing_changes():
    before = torch.get_num_threads()
    assert fit_threads() == before == torch.get_num_threads()
