"""What the attribution views draw: the deletion curves (attributed order against random, with their areas)
and a next-token attribution as one bar per input token."""
import plotly.graph_objects as go

from models.explain.deletion import Faithfulness
from models.explain.sequence import SequenceAttribution
from studio.i18n import say
from studio.views.labels import escaped

FOR_COLOUR, AGAINST_COLOUR, RANDOM_COLOUR = "#dc2626", "#2563eb", "#6b7280"


def deletion_figure(check: Faithfulness, method: str) -> go.Figure:
    """The target's probability as the most-attributed units are removed, and as random ones are; the areas in
    the legend (smaller: the probability fell sooner)."""
    figure = go.Figure()
    for curve, name, colour, dash in ((check.attributed, say(f"explain.method.{method}"), FOR_COLOUR, "solid"),
                                      (check.random, say("explain.plot.random"), RANDOM_COLOUR, "dash")):
        figure.add_trace(go.Scatter(x=curve.fractions, y=curve.probabilities, mode="lines+markers",
                                    name=say("explain.plot.curve", name=name, area=curve.area),
                                    line=dict(color=colour, dash=dash)))
    verdict = say("explain.plot.beats_random" if check.beats_random else "explain.plot.not_better")
    figure.update_layout(title=say("explain.plot.deletion", verdict=verdict), height=340,
                         xaxis=dict(title=say("explain.plot.removed"), tickformat=".0%", range=[0, 1]),
                         yaxis=dict(title=say("explain.plot.probability"), tickformat=".0%", rangemode="tozero"),
                         legend=dict(orientation="h", y=-0.3), margin={"t": 60, "l": 10, "r": 10, "b": 30})
    return figure


def token_attribution_figure(attribution: SequenceAttribution) -> go.Figure:
    """One bar per input token: red pushed the model towards the target token, blue away from it."""
    tokens = [f"{repr(token)[1:-1]} #{index + 1}" for index, token in enumerate(escaped(attribution.tokens))]
    scores = attribution.scores.tolist()
    figure = go.Figure(go.Bar(x=tokens, y=scores, marker_color=[FOR_COLOUR if s >= 0 else AGAINST_COLOUR for s in scores],
                              hovertemplate="%{x}<br>%{y:.4f}<extra></extra>"))
    figure.update_layout(title=say("explain.plot.tokens", target=repr(attribution.target)[1:-1],
                                   probability=attribution.probability,
                                   method=say(f"explain.method.{attribution.method}")),
                         height=320, yaxis=dict(title=say("explain.plot.score")), xaxis=dict(tickangle=-45),
                         margin={"t": 60, "l": 10, "r": 10, "b": 30})
    return figure
