"""How cost grows with input size: the series each benchmark measures, drawn as one plotly page."""
import math
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots


@dataclass
class Growth:
    title: str
    x_label: str
    y_label: str
    x: list[float]
    series: dict[str, list[float]]  # contender -> one value per x


def growth_figure(growths: list[Growth]) -> go.Figure:
    columns = 2 if len(growths) > 1 else 1
    rows = math.ceil(len(growths) / columns)
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=[growth.title for growth in growths])
    for index, growth in enumerate(growths):
        row, column = index // columns + 1, index % columns + 1
        for name, values in growth.series.items():
            figure.add_trace(go.Scatter(x=growth.x, y=values, name=f"{growth.title}: {name}", mode="lines+markers"),
                             row=row, col=column)
        figure.update_xaxes(title_text=growth.x_label, row=row, col=column)
        figure.update_yaxes(title_text=growth.y_label, row=row, col=column)
    figure.update_layout(height=380 * rows, title="How cost grows with input size (bench/run.py)")
    return figure


def write_growth(growths: list[Growth], folder: Path) -> list[Path]:
    """growth.html (plotly.js from its CDN, to keep the file small) and growth.png when kaleido is installed."""
    figure = growth_figure(growths)
    written = [folder / "growth.html"]
    figure.write_html(written[0], include_plotlyjs="cdn")
    try:
        import kaleido  # noqa: F401  (optional: plotly needs it for static images)
    except ImportError:
        return written
    written.append(folder / "growth.png")
    figure.write_image(written[1], width=1200, height=380 * math.ceil(len(growths) / 2))
    return written
