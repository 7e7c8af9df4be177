"""What edit-and-compare draws: the probabilities before and after the edit, and two inputs' per-token values
(attribution scores, attention) or [target, source] maps side by side, with the tokens the edit touched marked."""
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.explain.compare import Shift
from studio.i18n import say
from studio.views.explain import AGAINST_COLOUR, FOR_COLOUR
from studio.views.labels import escaped

BEFORE_COLOUR, AFTER_COLOUR, EDIT_COLOUR = "#6b7280", "#7c3aed", "#f59e0b"
EDIT_MARK = "✎"  # after a token the edit touched


def marked(tokens: list[str], changed: list[bool]) -> list[str]:
    """Tick labels: escaped, numbered (repeated tokens stay apart), the edited ones bold with EDIT_MARK."""
    return [f"<b>{token} {EDIT_MARK}</b> #{index + 1}" if touched else f"{token} #{index + 1}"
            for index, (token, touched) in enumerate(zip(escaped([repr(t)[1:-1] for t in tokens]), changed))]


def shift_figure(shifts: list[Shift], title: str) -> go.Figure:
    """Each class or next token's probability before (grey) and after (violet) the edit; the change on top."""
    labels = escaped([repr(shift.label)[1:-1] for shift in shifts])
    figure = go.Figure()
    for name, values, colour in ((say("explain.compare.before"), [s.before for s in shifts], BEFORE_COLOUR),
                                 (say("explain.compare.after"), [s.after for s in shifts], AFTER_COLOUR)):
        figure.add_trace(go.Bar(x=labels, y=values, name=name, marker_color=colour,
                                hovertemplate="%{x}<br>%{y:.2%}<extra></extra>"))
    figure.add_trace(go.Scatter(x=labels, y=[max(s.before, s.after) for s in shifts], mode="text",
                                text=[f"{s.after - s.before:+.1%}" for s in shifts], textposition="top center",
                                showlegend=False, hoverinfo="skip"))
    figure.update_layout(title=title, barmode="group", height=340, yaxis=dict(tickformat=".0%", rangemode="tozero"),
                         legend=dict(orientation="h", y=-0.35), margin={"t": 60, "l": 10, "r": 10, "b": 30})
    return figure


def token_pair_figure(sides: list[tuple[list[str], np.ndarray, list[bool]]], titles: list[str], value: str,
                      title: str) -> go.Figure:
    """One bar chart per side (tokens, [tokens] values, [tokens] touched by the edit), stacked; a touched token's bar
    is outlined in amber and its label bold."""
    figure = make_subplots(rows=len(sides), cols=1, subplot_titles=titles, vertical_spacing=0.3)
    for row, (tokens, values, changed) in enumerate(sides, start=1):
        figure.add_trace(go.Bar(x=marked(tokens, changed), y=values.tolist(), showlegend=False,
                                marker=dict(color=[FOR_COLOUR if v >= 0 else AGAINST_COLOUR for v in values],
                                            line=dict(color=[EDIT_COLOUR if c else "rgba(0,0,0,0)" for c in changed],
                                                      width=3)),
                                hovertemplate="%{x}<br>%{y:.4f}<extra></extra>"), row=row, col=1)
        figure.update_yaxes(title_text=value, row=row, col=1)
        figure.update_xaxes(tickangle=-45, row=row, col=1)
    figure.update_layout(title=title, height=300 * len(sides), margin={"t": 70, "l": 10, "r": 10, "b": 30})
    return figure


def map_pair_figure(sides: list[tuple[np.ndarray, list[str], list[bool], list[str], list[bool]]], titles: list[str],
                    title: str) -> go.Figure:
    """[target, source] maps side by side (weights, source tokens and their edit marks, target tokens and theirs),
    on one diverging colour scale centred at 0."""
    figure = make_subplots(rows=1, cols=len(sides), subplot_titles=titles, horizontal_spacing=0.18)
    top = max(float(np.abs(weights).max()) for weights, *_ in sides) or 1.0
    for column, (weights, source, source_changed, target, target_changed) in enumerate(sides, start=1):
        figure.add_trace(go.Heatmap(z=weights, x=marked(source, source_changed), y=marked(target, target_changed),
                                    colorscale="RdBu", reversescale=True, zmin=-top, zmax=top, zmid=0,
                                    showscale=column == len(sides),
                                    hovertemplate="%{y} → %{x}<br>%{z:.4f}<extra></extra>"), row=1, col=column)
        figure.update_yaxes(autorange="reversed", row=1, col=column)
        figure.update_xaxes(tickangle=-45, row=1, col=column)
    height = 260 + 26 * max(len(target) for *_, target, _ in sides)
    figure.update_layout(title=title, height=height, margin={"t": 90, "l": 10, "r": 10, "b": 20})
    return figure


def outlined(picture, box: tuple[int, int, int, int]):
    """A copy of the PIL image with the masked rectangle outlined in EDIT_COLOUR."""
    from PIL import ImageDraw

    copy = picture.copy()
    ImageDraw.Draw(copy).rectangle(box, outline=EDIT_COLOUR, width=max(2, min(copy.size) // 150))
    return copy
