"""A [rows, columns] weight matrix as a heatmap file: a self-contained SVG, or a PNG drawn with Pillow.

Rows are labelled down the left, columns rotated along the top; both files look alike, coloured
with viridis, the colour scale of the studio's plotly heatmaps.
"""
import html

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Viridis, the colour scale of the studio's plotly heatmaps, sampled at nine evenly spaced points.
VIRIDIS = np.array([[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
                    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]], dtype=float)
CELL = 28
FONT_SIZE = 13
GAP = 8
# Pillow's built-in font has no accented letters; use a system font with them where there is one.
PNG_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf")


def viridis(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] -> uint8 RGB, shape [..., 3]."""
    position = np.clip(values, 0.0, 1.0) * (len(VIRIDIS) - 1)
    low = np.floor(position).astype(int).clip(0, len(VIRIDIS) - 2)
    fraction = (position - low)[..., None]
    return np.rint(VIRIDIS[low] * (1 - fraction) + VIRIDIS[low + 1] * fraction).astype(np.uint8)


def _scaled(weights: np.ndarray) -> np.ndarray:
    """The colour of each cell: weights relative to the largest, so a diffuse head is still readable."""
    return weights / max(float(weights.max()), 1e-9)


def heatmap_svg(weights: np.ndarray, source_labels: list[str], target_labels: list[str], title: str = "") -> str:
    """A self-contained SVG: target labels down the left, source labels rotated along the top,
    one cell per weight with the weight as its tooltip."""
    rows, columns = weights.shape
    char_width = 0.62 * FONT_SIZE  # an estimate: SVG text is measured by the viewer, not here
    left = GAP + char_width * max(map(len, target_labels), default=1) + GAP
    top = (FONT_SIZE + 2 * GAP if title else GAP) + char_width * max(map(len, source_labels), default=1) + GAP
    width = max(left + columns * CELL + GAP, 2 * GAP + char_width * len(title))
    height = top + rows * CELL + GAP
    colours = viridis(_scaled(weights))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans, Arial, sans-serif" '
             f'font-size="{FONT_SIZE}">',
             '<rect width="100%" height="100%" fill="white"/>']
    if title:
        parts.append(f'<text x="{GAP}" y="{GAP + FONT_SIZE}" font-weight="bold">{html.escape(title)}</text>')
    for column, label in enumerate(source_labels):
        x, y = left + (column + 0.5) * CELL, top - GAP
        parts.append(f'<text transform="translate({x:.1f},{y:.1f}) rotate(-90)" dominant-baseline="middle">'
                     f'{html.escape(label)}</text>')
    for row, label in enumerate(target_labels):
        y = top + (row + 0.5) * CELL
        parts.append(f'<text x="{left - GAP:.1f}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle">'
                     f'{html.escape(label)}</text>')
        for column in range(columns):
            red, green, blue = colours[row, column]
            parts.append(f'<rect x="{left + column * CELL:.1f}" y="{top + row * CELL:.1f}" width="{CELL}" '
                         f'height="{CELL}" fill="rgb({red},{green},{blue})"><title>'
                         f'{html.escape(label)} → {html.escape(source_labels[column])}: '
                         f'{weights[row, column]:.3f}</title></rect>')
    parts.append("</svg>")
    return "\n".join(parts)


def png_font() -> ImageFont.FreeTypeFont:
    for name in PNG_FONTS:
        try:
            return ImageFont.truetype(name, FONT_SIZE)
        except OSError:
            continue
    return ImageFont.load_default(size=FONT_SIZE)


def heatmap_png(weights: np.ndarray, source_labels: list[str], target_labels: list[str],
                title: str = "") -> Image.Image:
    """The same picture as `heatmap_svg`, drawn with Pillow."""
    font = png_font()
    rows, columns = weights.shape
    left = GAP + max((font.getlength(label) for label in target_labels), default=0) + GAP
    title_height = FONT_SIZE + 2 * GAP if title else GAP
    top = title_height + max((font.getlength(label) for label in source_labels), default=0) + GAP
    left, top = int(left), int(top)
    width = max(left + columns * CELL + GAP, 2 * GAP + int(font.getlength(title)))
    image = Image.new("RGB", (width, top + rows * CELL + GAP), "white")
    cells = np.repeat(np.repeat(viridis(_scaled(weights)), CELL, axis=0), CELL, axis=1)
    image.paste(Image.fromarray(cells), (left, top))
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((GAP, GAP), title, fill="black", font=font)
    for row, label in enumerate(target_labels):
        draw.text((left - GAP, top + (row + 0.5) * CELL), label, fill="black", font=font, anchor="rm")
    for column, label in enumerate(source_labels):
        label_width = int(font.getlength(label)) + 1
        strip = Image.new("RGB", (max(label_width, 1), CELL), "white")
        ImageDraw.Draw(strip).text((0, CELL / 2), label, fill="black", font=font, anchor="lm")
        rotated = strip.rotate(90, expand=True)
        image.paste(rotated, (left + column * CELL, top - GAP - rotated.height))
    return image
