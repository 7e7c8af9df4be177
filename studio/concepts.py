"""The concept each tab teaches, in a few lines beside its result, and the activation functions' plots."""
import gradio as gr
import numpy as np
import plotly.graph_objects as go

from studio.i18n import say, t

ACTIVATIONS = {"sigmoid": lambda x: 1 / (1 + np.exp(-x)), "tanh": np.tanh, "ReLU": lambda x: np.maximum(x, 0)}


def note(tab: str, open: bool = True) -> gr.Markdown:
    """The tab's concept note (key "<tab>.concept"), in a box the tests and the teacher can find."""
    with gr.Accordion(t("app.concept"), open=open, elem_id=f"concept-{tab}", elem_classes=["concept-note"]):
        return gr.Markdown(t(f"{tab}.concept"))


def activation_figure() -> go.Figure:
    """sigmoid, tanh and ReLU on [-4, 4], with their formulas in the legend."""
    x = np.linspace(-4, 4, 161)
    figure = go.Figure()
    for name, function in ACTIVATIONS.items():
        figure.add_trace(go.Scatter(x=x, y=function(x), mode="lines", name=say(f"training.activation.{name}")))
    figure.update_layout(title=say("training.activation.title"), height=340, xaxis_title="x", yaxis_title="f(x)",
                         legend={"orientation": "h", "y": -0.25}, margin={"t": 50, "r": 20})
    return figure
