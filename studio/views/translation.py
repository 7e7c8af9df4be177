"""What the Translation tab draws, as plotly figures: the cross-attention heatmap and the word alignment."""
import numpy as np
import plotly.graph_objects as go

from models.translation.alignment import WordAlignment
from studio.i18n import say
from studio.views.labels import escaped


def spread(count: int) -> list[float]:
    """x positions for `count` words spread evenly over [0, 1], so both rows of words are as wide."""
    return [(i + 0.5) / count for i in range(count)]


def heatmap_figure(weights: np.ndarray, source: list[str], target: list[str], title: str) -> go.Figure:
    """Target tokens down, source tokens across; positions on the axes so repeated tokens stay apart."""
    source, target = escaped(source), escaped(target)
    hover = np.array([[[t, s] for s in source] for t in target], dtype=object)
    figure = go.Figure(go.Heatmap(
        z=weights, colorscale="Viridis", zmin=0, customdata=hover,
        hovertemplate=f"%{{customdata[0]}} → %{{customdata[1]}}<br>{say('plot.weight')} %{{z:.3f}}<extra></extra>"))
    figure.update_xaxes(tickvals=list(range(len(source))), ticktext=source, side="top")
    figure.update_yaxes(tickvals=list(range(len(target))), ticktext=target, autorange="reversed")
    figure.update_layout(title=title, height=240 + 26 * len(target), margin=dict(t=120, r=20, b=20))
    return figure


def alignment_figure(words: WordAlignment) -> go.Figure:
    """Source words on top, target words below, a line from each target word to the source word
    it attends to most; the darker the line, the larger the weight."""
    source_words, target_words = escaped(words.source_words), escaped(words.target_words)
    source_x, target_x = spread(len(source_words)), spread(len(target_words))
    figure = go.Figure()
    for target, source in words.links:
        weight = float(words.weights[target, source])
        figure.add_trace(go.Scatter(
            x=[source_x[source], target_x[target]], y=[1, 0], mode="lines", line=dict(width=1 + 4 * weight),
            opacity=0.25 + 0.75 * weight, hoverinfo="text", showlegend=False, marker_color="#4338ca",
            text=f"{target_words[target]} → {source_words[source]}: {weight:.3f}"))
    for labels, x, y, position in [(source_words, source_x, 1, "top center"),
                                   (target_words, target_x, 0, "bottom center")]:
        figure.add_trace(go.Scatter(x=x, y=[y] * len(labels), mode="markers+text",
                                    text=labels, textposition=position, hoverinfo="text", showlegend=False,
                                    marker=dict(size=7, color="#1e1b4b")))
    figure.update_xaxes(visible=False, range=[0, 1])
    figure.update_yaxes(visible=False, range=[-0.5, 1.5])
    figure.update_layout(height=260, margin=dict(t=30, l=20, r=20, b=20), plot_bgcolor="white",
                         title=say("translation.plot.alignment"))
    return figure
