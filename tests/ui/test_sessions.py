"""A session's component configs, made lazily, are the ones gradio would have made at once, before and after an
event changes a component."""
import gradio as gr
import pytest
import torch
from gradio.state_holder import SessionState

import app
from models.registry import ModelRegistry
from studio.sessions import LazySessionState


@pytest.fixture(scope="module")
def studio() -> gr.Blocks:
    return app.build_app(ModelRegistry(torch.device("cpu")))


def test_a_new_sessions_configs_equal_gradios_for_every_component(studio):
    eager, lazy = SessionState(studio), LazySessionState(studio)

    assert not dict.__len__(lazy.config_values)  # nothing made yet
    assert list(lazy.components) == list(eager.components)
    assert len(list(lazy.components)) >= 500


def test_configs_follow_the_changes_an_event_makes(studio):
    eager, lazy = SessionState(studio), LazySessionState(studio)
    textbox = next(key for key, block in studio.blocks.items() if isinstance(block, gr.Textbox))
    slider = next(key for key, block in studio.blocks.items() if isinstance(block, gr.Slider))

    for state in (eager, lazy):
        state._update_value_in_config(textbox, "typed by the user")  # what gradio does with an event's inputs
        state[slider] = gr.Slider(minimum=0, maximum=7, render=False)  # as gradio applies an event's gr.update
        state._update_config(slider)
        state._update_value_in_config(slider, 3)
    made = dict(lazy.config_values.items())

    assert made[textbox]["props"]["value"] == "typed by the user"
    assert (made[slider]["props"]["maximum"], made[slider]["props"]["value"]) == (7, 3)
    assert list(lazy.components) == list(eager.components)
