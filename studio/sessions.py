"""A session's copy of each component's config, made when it is first read instead of at the session's first request.

gradio (6.x) makes a `SessionState` at each session's first request, in the event loop, and fills its
`config_values` with the config of every component: for the studio's 560 components that is ≈ 33 ms of Python
and ≈ 840 KB kept per session, although only deep links and the components an event changes ever read them. When a
class clicked together, thirty of those in the event loop held every request back 1–3 s (bench.load), and each
page load kept its 840 KB for as long as gradio keeps the session. Here each config is made at its first read, from
the same block, so what gradio reads is what it would have made; the session starts in microseconds.

gradio has no option for this, so `use_lazy_session_configs` puts `LazySessionState` in the place of gradio's
`SessionState`; tests/ui/test_sessions.py holds every config it makes equal to gradio's own.
"""
import os
from copy import copy

import gradio.state_holder
from gradio.state_holder import SessionState

STATE_TTL_WHEN_CLOSED_SECONDS = 3600  # gradio's: a closed session's state is kept this long for the user to reopen


class LazyConfigs(dict):
    """`SessionState.config_values`: component id -> its config dict, made from the session's block at first read."""

    def __init__(self, blocks_config, ids):
        super().__init__()
        self.blocks_config, self.order = blocks_config, list(ids)
        self.ids = frozenset(self.order)  # the components whose config a read makes

    def __missing__(self, key):
        if key not in self.ids:
            raise KeyError(key)
        self[key] = self.blocks_config.config_for_block(key, [], self.blocks_config.blocks[key])
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        return key in self.ids or super().__contains__(key)

    def items(self):
        """Every config, made now if it was not yet, in gradio's order (the blocks') and then any added since."""
        made_later = [key for key in dict.keys(self) if key not in self.ids]
        return [(key, self[key]) for key in self.order + made_later]


class LazySessionState(SessionState):
    """gradio's SessionState, with `config_values` made lazily (gradio 6's attributes, set as its __init__ sets them)."""

    def __init__(self, blocks):  # not super().__init__: it would make every config at once, which this avoids
        self.blocks_config = copy(blocks.default_config)
        self.config_values = LazyConfigs(self.blocks_config,
                                         [key for key in self.blocks_config.blocks if key in blocks.blocks])
        self.state_data = {}
        self._state_ttl = {}
        self.is_closed = False
        self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else STATE_TTL_WHEN_CLOSED_SECONDS


def use_lazy_session_configs() -> None:
    """gradio's StateHolder makes LazySessionState from now on (it looks the class up in its module at each new
    session)."""
    gradio.state_holder.SessionState = LazySessionState
