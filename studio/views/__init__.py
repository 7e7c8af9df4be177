"""What the tabs draw, from data that models/ prepared: plotly figures, SVG / PNG / HTML, colour overlays."""
