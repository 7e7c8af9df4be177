"""What the speech-recognizer panel draws: the CTC posteriors (frames × characters, blank included) with the
greedy path on them, the path before and after collapsing, the beam's n-best and the held-out WER table."""
import numpy as np
import plotly.graph_objects as go

from models.speech.audio import HOP_LENGTH, SAMPLE_RATE
from models.speech.ctc_recognizer import Recognition
from studio.i18n import say

SPACE = "␣"  # how the space character is labelled, so it is visible


def _label(character: str) -> str:
    return SPACE if character == " " else character


def posteriors_figure(recognition: Recognition, time_stride: int) -> go.Figure:
    """P(character | frame) as a heatmap, characters down (blank first), frames across in seconds, and the best
    character of each frame marked: the greedy path."""
    seconds = np.arange(len(recognition.log_probs)) * time_stride * HOP_LENGTH / SAMPLE_RATE
    labels = [_label(character) for character in recognition.characters]
    figure = go.Figure(go.Heatmap(z=np.exp(recognition.log_probs).T, x=seconds, y=labels, colorscale="Viridis",
                                  zmin=0, zmax=1, colorbar={"title": "P"},
                                  hovertemplate="%{x:.2f} s · %{y}: %{z:.3f}<extra></extra>"))
    figure.add_trace(go.Scatter(x=seconds, y=[labels[c] for c in recognition.best_path], mode="markers",
                                marker={"color": "#dc2626", "size": 5, "symbol": "x"}, name=say("ctc.plot.greedy"),
                                hoverinfo="skip"))
    figure.update_layout(title=say("ctc.plot.title"), height=520, margin={"l": 40, "r": 10, "t": 40, "b": 40},
                         xaxis_title=say("speech.plot.seconds"), showlegend=False,
                         yaxis={"autorange": "reversed", "type": "category", "dtick": 1})
    return figure


def greedy_path_markdown(recognition: Recognition) -> str:
    """The best character of every frame (blanks as ·), then the same with repeats merged and blanks dropped."""
    path = "".join(_label(recognition.characters[c]) for c in recognition.best_path)
    return say("ctc.path", path=path, text=recognition.greedy_text or "∅")


def nbest_rows(recognition: Recognition) -> list[list]:
    return [[rank, h.text or "∅", round(h.acoustic, 2), round(h.lm, 2), round(h.total, 2)]
            for rank, h in enumerate(recognition.nbest, 1)]


def wer_rows(errors: dict[str, float]) -> list[list]:
    return [[say(f"ctc.decoder.{decoder}"), round(100 * wer, 1)] for decoder, wer in errors.items()]
