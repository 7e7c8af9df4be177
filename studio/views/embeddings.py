"""What the Embeddings tab draws, as plotly figures: neighbours, the analogy's arithmetic, projections of words or
sentences coloured by group, similarity matrices, and Word2Vec's loss as it trains."""
import numpy as np
import plotly.graph_objects as go

from models.language.projection import Projection
from models.language.word_vectors import Analogy, Neighbour
from models.training.loop import Point
from studio.i18n import say
from studio.views.labels import escaped

GROUP_COLOURS = ["#4338ca", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
ARROW_COLOURS = {"shift": "#4338ca", "answer": "#059669"}
MAX_PLOTTED_STEPS = 400
LABEL_CHARACTERS = 40  # sentences are cut to this on the plots (the hover shows them whole)


def short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[:LABEL_CHARACTERS - 1] + "…"


def neighbours_figure(word: str, neighbours: list[Neighbour]) -> go.Figure:
    """One bar per neighbour, the nearest on top."""
    words = escaped([n.word for n in neighbours])
    figure = go.Figure(go.Bar(x=[n.similarity for n in neighbours], y=words, orientation="h", marker_color="#4338ca",
                              hovertemplate=f"%{{y}}: {say('embeddings.plot.cosine')} %{{x:.3f}}<extra></extra>"))
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(title=say("embeddings.plot.neighbours", word=escaped([word])[0]), height=140 + 24 * len(words),
                         xaxis_title=say("embeddings.plot.cosine"), margin=dict(t=50, r=20))
    return figure


def analogy_figure(analogy: Analogy) -> go.Figure:
    """a, b, c, b − a + c and the answer in 2-D: the arrow a → b drawn again from c lands on b − a + c, and the
    answer is the word nearest to that point."""
    points, labels = analogy.picture.coordinates, escaped(analogy.picture.labels)
    a, b, c, target, answer = points
    figure = go.Figure(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers+text", text=labels,
                                  textposition="top center", hoverinfo="text", showlegend=False,
                                  marker=dict(size=[10, 10, 10, 14, 12], symbol=["circle"] * 3 + ["x", "star"],
                                              color=["#1e1b4b"] * 3 + ["#dc2626", ARROW_COLOURS["answer"]])))
    for start, end, colour, dash in ((a, b, ARROW_COLOURS["shift"], False), (c, target, ARROW_COLOURS["shift"], True),
                                     (target, answer, ARROW_COLOURS["answer"], True)):
        figure.add_annotation(x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y", axref="x", ayref="y",
                              showarrow=True, arrowhead=3, arrowsize=1.3, arrowwidth=2.5 if not dash else 1.8,
                              arrowcolor=colour, opacity=1 if not dash else 0.7, text="")
    figure.update_xaxes(zeroline=False, title=say("embeddings.plot.component", number=1,
                                                  share=100 * analogy.picture.explained[0]))
    figure.update_yaxes(zeroline=False, scaleanchor="x", title=say("embeddings.plot.component", number=2,
                                                                   share=100 * analogy.picture.explained[1]))
    figure.update_layout(title=say("embeddings.plot.analogy", a=labels[0], b=labels[1], c=labels[2],
                                   answer=labels[4]), height=460, margin=dict(t=60, r=20), plot_bgcolor="white")
    return figure


def group_names(names: list[str]) -> list[str]:
    """Each point's group as shown: its own name, or "group n" for lines that gave none."""
    order = list(dict.fromkeys(names))
    return [name or say("embeddings.group_n", number=order.index(name) + 1) for name in names]


def projection_figure(projection: Projection, groups: list[str], title: str) -> go.Figure:
    """The points in 2-D or 3-D, one colour per group; when every group has as many points, the i-th of each
    are joined by a grey line (france – paris, italy – rome …), so parallel shifts can be seen."""
    names = group_names(groups)
    order = list(dict.fromkeys(names))
    coordinates, labels = projection.coordinates, escaped([short(label) for label in projection.labels])
    hover = escaped(projection.labels)
    three_d = coordinates.shape[1] == 3
    scatter = go.Scatter3d if three_d else go.Scatter
    figure = go.Figure()
    members = {name: [i for i, group in enumerate(names) if group == name] for name in order}
    sizes = {len(rows) for rows in members.values()}
    if len(order) > 1 and len(sizes) == 1:
        for joined in zip(*members.values()):
            line = coordinates[list(joined)]
            figure.add_trace(scatter(**dict(zip("xyz", line.T)), mode="lines", hoverinfo="skip", showlegend=False,
                                     line=dict(color="#9ca3af", width=1.5)))
    for number, name in enumerate(order):
        rows = members[name]
        figure.add_trace(scatter(**dict(zip("xyz", coordinates[rows].T)), mode="markers+text", name=escaped([name])[0],
                                 text=[labels[i] for i in rows], hovertext=[hover[i] for i in rows],
                                 hoverinfo="text", textposition="top center",
                                 marker=dict(size=5 if three_d else 9, color=GROUP_COLOURS[number % len(GROUP_COLOURS)])))
    axes = {f"{axis}axis_title": say("embeddings.plot.component", number=i + 1, share=100 * projection.explained[i])
            for i, axis in enumerate("xyz"[:coordinates.shape[1]])}
    if three_d:
        figure.update_layout(scene=axes)
    else:
        figure.update_layout(**axes, plot_bgcolor="white")
        figure.update_yaxes(scaleanchor="x", zeroline=False)
        figure.update_xaxes(zeroline=False)
    figure.update_layout(title=title, height=560, legend=dict(orientation="h", y=-0.12), margin=dict(t=60, r=20))
    return figure


def similarity_figure(projection: Projection, title: str) -> go.Figure:
    """The cosine similarity of every pair, −1 (opposite) to 1 (same direction)."""
    labels = escaped([short(label) for label in projection.labels])
    figure = go.Figure(go.Heatmap(z=np.round(projection.similarity, 3), x=list(range(len(labels))),
                                  y=list(range(len(labels))), colorscale="RdBu", reversescale=True, zmin=-1, zmax=1,
                                  customdata=np.array([[[r, c] for c in labels] for r in labels], dtype=object),
                                  hovertemplate=f"%{{customdata[0]}} · %{{customdata[1]}}<br>"
                                                f"{say('embeddings.plot.cosine')} %{{z:.3f}}<extra></extra>"))
    figure.update_xaxes(tickvals=list(range(len(labels))), ticktext=labels, side="top", tickangle=-45)
    figure.update_yaxes(tickvals=list(range(len(labels))), ticktext=labels, autorange="reversed")
    size = min(900, 260 + 18 * len(labels))
    figure.update_layout(title=title, height=size, margin=dict(t=140, r=20, b=20))
    return figure


def word2vec_loss_figure(points: list[Point]) -> go.Figure:
    """Train loss per step (thinned) and validation loss per epoch, against epochs."""
    train = [p for p in points if p.split == "train"]
    train = train[::max(1, len(train) // MAX_PLOTTED_STEPS)]
    validation = [p for p in points if p.split == "validation"]
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[p.epoch for p in train], y=[p.loss for p in train], mode="lines", opacity=0.6,
                                name=say("training.plot.train"), line=dict(color="#4338ca", width=1)))
    figure.add_trace(go.Scatter(x=[p.epoch for p in validation], y=[p.loss for p in validation],
                                mode="lines+markers", name=say("training.plot.validation"),
                                line=dict(color="#dc2626", width=2.5, dash="dash")))
    figure.update_layout(title=say("embeddings.plot.word2vec_loss"), height=340, xaxis_title=say("training.plot.epoch"),
                         yaxis_title=say("embeddings.plot.sgns_loss"), legend=dict(orientation="h", y=-0.3),
                         margin=dict(t=50, r=20), uirevision="keep")
    return figure
