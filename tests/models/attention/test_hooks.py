"""The one hook helper (models/attention/hooks.py) that reads what modules receive and return."""
import threading

import torch

from models.attention.hooks import hooked_calls


class Scale(torch.nn.Module):
    def forward(self, hidden_states, factor=2.0):
        return hidden_states * factor


def test_calls_keep_arguments_and_output_in_call_order():
    first, second = Scale(), Scale()
    x = torch.ones(2)
    with hooked_calls([first, second]) as calls:
        second(x, factor=3.0)
        first(hidden_states=x)
    assert [call.output.tolist() for call in calls] == [[3.0, 3.0], [2.0, 2.0]]
    assert calls[0].kwargs == {"factor": 3.0} and calls[0].argument("hidden_states") is x
    assert calls[1].args == () and calls[1].argument("hidden_states") is x  # passed by name


def test_only_this_threads_calls_are_kept_and_the_hooks_go_afterwards():
    module = Scale()
    with hooked_calls([module]) as calls:
        other = threading.Thread(target=module, args=(torch.zeros(1),))
        other.start()
        other.join()
        module(torch.ones(1))
    assert [call.output.item() for call in calls] == [2.0]
    assert not module._forward_hooks
    module(torch.ones(1))
    assert len(calls) == 1
