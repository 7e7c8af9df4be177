"""What the Attention tab draws, as plotly figures: the layer × head grid, one head large, the token
view (bertviz's head view: lines from chosen tokens to the others), mean / rollout, and the Q/K/V
steps of one head; plus the PNG / SVG / self-contained HTML exports."""
import html

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from models.attention.maps import SECONDS_PER_FRAME, AttentionMaps, HeadSteps
from models.pooling import blocks, downsample
from models.language.causal_lm import Continuation, NextTokens
from models.language.logit_lens import LogitLens
from models.language.sampling import STAGES, SamplingStages
from studio.common import in_user_language
from studio.i18n import say
from studio.views.heatmap import heatmap_png, heatmap_svg
from studio.views.labels import escaped

GRID_TOKENS = 32  # per small heatmap of the grid
HEAD_TOKENS = 256
TOKEN_VIEW_TOKENS = 64
EXPORT_TOKENS = 96  # PNG / SVG cells are 28 px: 96 tokens make a ~3000 px image
LINE_BUCKETS = 10  # the token view draws lines in this many opacity steps, one trace each
PALETTE = ("#4338ca", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2")
SEE_THROUGH_RED = [[0, "rgba(220, 38, 38, 0)"], [1, "rgba(220, 38, 38, 0.75)"]]  # overlays: no weight, no colour
AGGREGATE_TITLES = {"rollout": "attention.plot.rollout", "mean": "attention.plot.mean_all"}  # by Aggregate.method


def aggregate_of(maps: AttentionMaps) -> tuple[np.ndarray, str]:
    """The map's summary over every layer (rollout or mean, as the map says) and its title."""
    aggregate = maps.aggregate()
    return aggregate.weights, say(AGGREGATE_TITLES[aggregate.method])


def weight_hover(pair: str = "%{customdata[0]} → %{customdata[1]}") -> str:
    return f"{pair}<br>{say('plot.weight')} %{{z:.3f}}<extra></extra>"


def grid_figure(maps: AttentionMaps) -> go.Figure:
    """Every layer (rows) and head (columns) at a glance, each pooled to at most GRID_TOKENS tokens and
    coloured on its own scale, so diffuse heads show their pattern too. One mosaic heatmap, not one
    subplot per head: plotly takes seconds to lay out SmolLM2's 270 subplots."""
    weights, queries, keys = downsample(maps.weights, maps.query_tokens, maps.key_tokens, GRID_TOKENS)
    layers, heads, rows, columns = weights.shape
    mosaic = np.full((layers * (rows + 1) - 1, heads * (columns + 1) - 1), np.nan, np.float32)
    raw = mosaic.copy()
    for layer in range(layers):
        for head in range(heads):
            cell = (slice(layer * (rows + 1), layer * (rows + 1) + rows),
                    slice(head * (columns + 1), head * (columns + 1) + columns))
            raw[cell] = weights[layer, head]
            mosaic[cell] = weights[layer, head] / max(float(weights[layer, head].max()), 1e-9)
    # Categorical axes with one unique label per row and column, so the hover names layer, head and token.
    head_names = [say("attention.head_n", head=head + 1) for head in range(heads)]
    layer_names = [say("attention.layer_n", layer=layer + 1) for layer in range(layers)]
    x = [f"{name} · {html.escape(keys[k])} #{k + 1}" if k < columns else f"{name} ·"
         for name in head_names for k in range(columns + 1)][:-1]
    y = [f"{name} · {html.escape(queries[q])} #{q + 1}" if q < rows else f"{name} ·"
         for name in layer_names for q in range(rows + 1)][:-1]
    figure = go.Figure(go.Heatmap(z=mosaic.round(3), x=x, y=y, customdata=raw.round(3), colorscale="Viridis", zmin=0, zmax=1,
                                  showscale=False, hoverongaps=False,
                                  hovertemplate="%{y} → %{x}: %{customdata:.3f}<extra></extra>"))
    figure.update_xaxes(tickvals=[x[head * (columns + 1) + columns // 2] for head in range(heads)], ticktext=head_names,
                        tickfont_size=10, side="bottom", showgrid=False)
    figure.update_yaxes(tickvals=[y[layer * (rows + 1) + rows // 2] for layer in range(layers)], ticktext=layer_names,
                        tickfont_size=10, autorange="reversed", showgrid=False)
    cell = max(40, min(90, 1100 // heads))
    figure.update_layout(title=say("attention.plot.grid", name=in_user_language(maps.name)), height=80 + cell * layers,
                         margin={"t": 50, "l": 70, "r": 10, "b": 40}, plot_bgcolor="rgba(0,0,0,0)")
    return figure


def head_figure(weights: np.ndarray, queries: list[str], keys: list[str], title: str) -> go.Figure:
    """One [queries, keys] map large: queries down, keys across, hover with both tokens and the weight.
    Positions on the axes, labels as ticks, so repeated tokens stay apart."""
    weights, queries, keys = downsample(weights, queries, keys, HEAD_TOKENS)
    queries, keys = escaped(queries), escaped(keys)
    hover = np.array([[[query, key] for key in keys] for query in queries], dtype=object)
    figure = go.Figure(go.Heatmap(z=weights, colorscale="Viridis", zmin=0, customdata=hover,
                                  hovertemplate=weight_hover()))
    figure.update_xaxes(tickvals=list(range(len(keys))), ticktext=keys, side="top", tickangle=-60)
    figure.update_yaxes(tickvals=list(range(len(queries))), ticktext=queries, autorange="reversed")
    figure.update_layout(title=title, height=min(1100, 260 + 18 * len(queries)), margin={"t": 150, "r": 20, "b": 20})
    return figure


def token_figure(weights: np.ndarray, queries: list[str], keys: list[str], chosen: list[int],
                 title: str) -> go.Figure:
    """bertviz's head view: queries on the left, keys on the right, a line from each chosen query to
    every key it attends to, the more opaque the heavier. `chosen` indexes the pooled queries."""
    weights, queries, keys = downsample(weights, queries, keys, TOKEN_VIEW_TOKENS)
    queries, keys = escaped(queries), escaped(keys)
    chosen = [index for index in chosen if 0 <= index < len(queries)] or [0]
    figure = go.Figure()
    for number, query in enumerate(chosen):
        row = weights[query]
        colour = PALETTE[number % len(PALETTE)]
        levels = np.ceil(row / max(float(row.max()), 1e-9) * LINE_BUCKETS).astype(int)
        for level in range(1, LINE_BUCKETS + 1):
            x, y = [], []
            for key in np.flatnonzero(levels == level):
                x += [0, 1, None]
                y += [-query, -key, None]
            if x:
                figure.add_trace(go.Scatter(x=x, y=y, mode="lines", opacity=level / LINE_BUCKETS,
                                            line={"color": colour, "width": 1 + 3 * level / LINE_BUCKETS},
                                            hoverinfo="skip", showlegend=False))
    received = weights[chosen].sum(axis=0)
    figure.add_trace(go.Scatter(
        x=[0] * len(queries), y=[-i for i in range(len(queries))], mode="text", text=queries,
        textposition="middle left", hoverinfo="skip", showlegend=False))
    figure.add_trace(go.Scatter(
        x=[1] * len(keys), y=[-i for i in range(len(keys))], mode="markers+text", text=keys,
        textposition="middle right", marker={"size": 6, "color": received, "colorscale": "Viridis"},
        customdata=received, hovertemplate="%{text}: %{customdata:.3f}<extra></extra>", showlegend=False))
    figure.update_xaxes(visible=False, range=[-0.6, 1.6])
    figure.update_yaxes(visible=False, range=[-max(len(queries), len(keys)) + 0.5, 0.5])
    figure.update_layout(title=title, height=120 + 20 * max(len(queries), len(keys)),
                         margin={"t": 50, "l": 10, "r": 10, "b": 10}, plot_bgcolor="white")
    return figure


def aggregate_figure(maps: AttentionMaps, layer: int) -> go.Figure:
    """The mean over the layer's heads beside the rollout through all layers, or, where the layers do
    not chain (cross-attention), beside the mean over every layer and head."""
    overall, overall_title = aggregate_of(maps)
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                           subplot_titles=(say("attention.plot.layer_mean", layer=layer + 1), overall_title))
    for column, weights in enumerate((maps.head(layer, None), overall), start=1):
        pooled, queries, keys = downsample(weights, maps.query_tokens, maps.key_tokens, HEAD_TOKENS // 2)
        queries, keys = escaped(queries), escaped(keys)
        hover = np.array([[[q, k] for k in keys] for q in queries], dtype=object)
        figure.add_trace(go.Heatmap(z=pooled, colorscale="Viridis", zmin=0, showscale=False, customdata=hover,
                                    hovertemplate="%{customdata[0]} → %{customdata[1]}: %{z:.3f}<extra></extra>"),
                         row=1, col=column)
        figure.update_xaxes(tickvals=list(range(len(keys))), ticktext=keys, tickangle=-60, row=1, col=column)
        figure.update_yaxes(tickvals=list(range(len(queries))), ticktext=queries, row=1, col=column)
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(height=460, margin={"t": 60, "l": 30, "r": 10, "b": 30})
    return figure


def overlay_figure(maps: AttentionMaps, weights: np.ndarray, query: int, title: str) -> go.Figure:
    """One query's attention laid over what the keys are (the digit's patches, or the spectrogram's time
    axis): the chosen head or mean on the left, the rollout (or, where the layers do not chain, the mean
    over every layer and head) on the right. `query` indexes the token view's pooled queries."""
    backdrop = maps.backdrop
    block = blocks(len(maps.query_tokens), TOKEN_VIEW_TOKENS)[query]
    overall, overall_title = aggregate_of(maps)
    rows = [weights[block].mean(axis=0), overall[block].mean(axis=0)]
    spectrogram = backdrop.kind == "spectrogram"
    outside = say(f"attention.outside.{backdrop.kind}")  # the key the picture has no place for
    title = say("attention.plot.share", title=title, share=rows[0][backdrop.outside_key], outside=outside)
    overall_title = say("attention.plot.share", title=overall_title, share=rows[1][backdrop.outside_key],
                        outside=outside)
    figure = make_subplots(rows=2 if spectrogram else 1, cols=1 if spectrogram else 2, vertical_spacing=0.14,
                           subplot_titles=(title, overall_title))
    x = np.arange(backdrop.pixels.shape[1]) * SECONDS_PER_FRAME if spectrogram else None
    where = "%{x:.2f} s" if spectrogram else say("attention.hover.cell", row="%{y}", column="%{x}")
    for number, row in enumerate(rows):
        place = {"row": number + 1, "col": 1} if spectrogram else {"row": 1, "col": number + 1}
        spread = backdrop.spread(row)
        figure.add_trace(go.Heatmap(z=backdrop.pixels, x=x, colorscale="Greys", showscale=False, hoverinfo="skip"),
                         **place)
        figure.add_trace(go.Heatmap(
            z=spread, x=x, colorscale=SEE_THROUGH_RED, zmin=0, zmax=max(float(spread.max()), 1e-9),
            showscale=False, hovertemplate=f"{where}: {say('plot.weight')} %{{z:.3f}}<extra></extra>"), **place)
    if spectrogram:
        figure.update_xaxes(title_text=say("attention.plot.seconds"), row=2, col=1)
        figure.update_yaxes(title_text=say("attention.plot.mel_bin"))
    else:
        figure.update_yaxes(autorange="reversed", scaleanchor="x")
        figure.update_yaxes(scaleanchor="x2", row=1, col=2)
        figure.update_xaxes(showticklabels=False)
        figure.update_yaxes(showticklabels=False)
    query_label = escaped([maps.query_tokens[block[0]]])[0] + ("…" if len(block) > 1 else "")
    figure.update_layout(title=say(f"attention.plot.overlay.{backdrop.kind}", query=query_label), height=480,
                         plot_bgcolor="white",
                         margin={"t": 80, "l": 40, "r": 10, "b": 40})
    return figure


def predictions_figure(predictions: NextTokens) -> go.Figure:
    """What the language model expects after each token: its top k next tokens and their probabilities
    (left), and the probability it gave the token that did come next (right: low = surprised)."""
    tokens = escaped(predictions.tokens)
    candidates = [escaped(row) for row in predictions.candidates]
    positions = list(range(len(tokens)))
    k = predictions.probabilities.shape[1]
    figure = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.8, 0.2], horizontal_spacing=0.02,
                           subplot_titles=(say("attention.plot.top_next", k=k), say("attention.plot.real_next")))
    hover = np.array([[[tokens[position], candidate] for candidate in candidates[position]] for position in positions],
                     dtype=object)
    figure.add_trace(go.Heatmap(
        z=predictions.probabilities, x=[f"#{rank + 1}" for rank in range(k)], y=positions,
        text=[[repr(candidate)[1:-1] for candidate in row] for row in candidates], texttemplate="%{text}",
        colorscale="Blues", zmin=0, zmax=1, customdata=hover, showscale=False,
        hovertemplate=say("attention.hover.after", token="%{customdata[0]}", candidate="%{customdata[1]}")
        + " %{z:.1%}<extra></extra>"), row=1, col=1)
    following = [*tokens[1:], ""]
    figure.add_trace(go.Bar(
        x=[*predictions.actual, 0], y=positions, orientation="h", marker_color="#4338ca", customdata=following,
        hovertemplate=say("attention.hover.came_next", token="%{customdata}") + " %{x:.1%}<extra></extra>"),
        row=1, col=2)
    figure.update_yaxes(tickvals=positions, ticktext=tokens, autorange="reversed", row=1, col=1)
    figure.update_xaxes(range=[0, 1], tickformat=".0%", row=1, col=2)
    figure.update_layout(height=min(2400, 160 + 26 * len(tokens)), margin={"t": 60, "l": 10, "r": 10, "b": 30},
                         showlegend=False)
    return figure


def continuation_html(prompt: str, continuation: Continuation) -> str:
    """The text, then the greedy continuation one token at a time, shaded by its probability."""
    spans = []
    for token, probability in zip(continuation.tokens, continuation.probabilities):
        hue = int(120 * probability)  # red (unsure) → green (sure)
        spans.append(f'<span style="background: hsla({hue}, 70%, 50%, 0.35)" title="p = {probability:.2f}">'
                     f"{html.escape(token)}</span>")
    return (f'<div id="attention-continuation" style="white-space: pre-wrap">{html.escape(prompt)}'
            f'{"".join(spans)}</div>')


def lens_figure(lens: LogitLens) -> go.Figure:
    """Layers (rows, the embeddings at the bottom) × positions: the top next token read at each, shaded by its
    probability; hover for the top k."""
    tokens = escaped(lens.tokens)
    top = [[escaped(names) for names in layer] for layer in lens.top_tokens]
    hover = [[say("attention.hover.lens", layer=name, token=tokens[position])
              + "".join(f"<br>{repr(candidate)[1:-1]}: {p:.1%}" for candidate, p in zip(top[row][position], probabilities))
              for position, probabilities in enumerate(lens.probabilities[row])]
             for row, name in enumerate(lens.layer_names)]
    figure = go.Figure(go.Heatmap(
        z=lens.probabilities[:, :, 0], x=list(range(len(tokens))), y=lens.layer_names, zmin=0, zmax=1,
        colorscale="Blues", text=[[repr(names[0])[1:-1] for names in layer] for layer in top],
        texttemplate="%{text}", customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        colorbar=dict(title=say("attention.plot.lens_probability"), tickformat=".0%")))
    figure.update_xaxes(tickvals=list(range(len(tokens))), ticktext=tokens, tickangle=-45, side="top")
    figure.update_layout(title=say("attention.plot.lens"), height=min(1600, 220 + 22 * len(lens.layer_names)),
                         margin={"t": 110, "l": 10, "r": 10, "b": 20})
    return figure


def sampling_figure(stages: SamplingStages) -> go.Figure:
    """The likeliest next tokens' probabilities as the model gives them and after each sampling stage."""
    tokens = [repr(token)[1:-1] for token in escaped(stages.tokens)]
    figure = go.Figure([go.Bar(name=say(f"attention.sampling.stage.{stage}", kept=kept), x=tokens, y=row,
                               marker_color=PALETTE[index])
                        for index, (stage, kept, row) in enumerate(zip(STAGES, stages.kept, stages.probabilities))])
    figure.update_layout(barmode="group", title=say("attention.plot.sampling"), height=360,
                         yaxis=dict(tickformat=".0%", title=say("attention.plot.next_probability")),
                         margin={"t": 60, "l": 10, "r": 10, "b": 30}, legend=dict(orientation="h", y=-0.25))
    return figure


def steps_figure(steps: HeadSteps) -> go.Figure:
    """Q, K, V (one row per token), the scaled scores, their softmax and the output, side by side."""
    tokens = escaped(steps.tokens)
    panels = [("Q = x·W_Q", steps.queries), ("K = x·W_K", steps.keys), ("V = x·W_V", steps.values),
              ("QKᵀ/√d", steps.scores), ("softmax(QKᵀ/√d)", steps.weights), ("softmax(QKᵀ/√d)·V", steps.output)]
    figure = make_subplots(rows=2, cols=3, subplot_titles=[title for title, _ in panels],
                           horizontal_spacing=0.1, vertical_spacing=0.12)
    positions = list(range(len(tokens)))  # positions, not categories: a repeated token keeps its own row
    cell = say("attention.hover.cell", row="%{y}", column="%{x}")
    for index, (title, values) in enumerate(panels):
        is_weights = values is steps.weights
        values = np.where(np.isfinite(values), values, np.nan)  # masked (−∞) scores: left blank
        row, column = index // 3 + 1, index % 3 + 1
        figure.add_trace(go.Heatmap(
            z=values, colorscale="Viridis" if is_weights else "RdBu", zmin=0 if is_weights else None,
            zmid=None if is_weights else 0, showscale=False,
            hovertemplate=f"{title}<br>{cell}: %{{z:.4f}}<extra></extra>"), row=row, col=column)
        figure.update_yaxes(tickvals=positions, ticktext=tokens, row=row, col=column)
        if title in ("QKᵀ/√d", "softmax(QKᵀ/√d)"):
            figure.update_xaxes(tickvals=positions, ticktext=tokens, tickangle=-60, row=row, col=column)
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(height=360 + 24 * min(len(tokens), 24), margin={"t": 60, "l": 10, "r": 10, "b": 10},
                         title=say("attention.plot.steps", layer=steps.layer + 1, head=steps.head + 1,
                                   size=steps.queries.shape[1]))
    return figure


def interactive_html(figures: list[go.Figure], title: str) -> str:
    """One self-contained page: plotly.js inlined once (the studio is offline, no CDN)."""
    parts = [figure.to_html(full_html=False, include_plotlyjs=index == 0) for index, figure in enumerate(figures)]
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1>\n" + "\n".join(parts) + "\n</body></html>\n")


def export_files(weights: np.ndarray, queries: list[str], keys: list[str], title: str,
                 figures: list[go.Figure]) -> dict[str, Image.Image | str]:
    """attention.png and attention.svg of the heatmap (pooled to EXPORT_TOKENS), attention.html of the
    interactive views: file name -> content, for studio.exports.write."""
    pooled, pooled_queries, pooled_keys = downsample(weights, queries, keys, EXPORT_TOKENS)
    return {"attention.png": heatmap_png(pooled, pooled_keys, pooled_queries, title),
            "attention.svg": heatmap_svg(pooled, pooled_keys, pooled_queries, title),
            "attention.html": interactive_html(figures, title)}
