"""Token labels made safe for plotly, which reads tick and hover text as HTML."""
import html


def escaped(labels: list[str]) -> list[str]:
    """Each label with <, > and & escaped: unescaped, "</s>" would vanish from the plot."""
    return [html.escape(label) for label in labels]
