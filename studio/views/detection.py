"""The detection section's pictures and table: boxes for gr.AnnotatedImage, and one step of how they were made
drawn over the photo (the cells and anchors that fired, every candidate, what NMS kept and removed)."""
from PIL import Image, ImageDraw, ImageFont

from models.vision.detector import Candidate, Detection
from studio.i18n import say

STEPS = ("cells", "candidates", "nms")  # the step-through, in order; locale "detection.step.<step>"
COLUMNS = ["number", "label", "score", "objectness", "grid", "cell", "anchor", "box", "outcome"]  # "detection.column.*"
# Eight colours that stay apart on photos (Okabe–Ito); a class keeps its colour in every step.
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#FFFFFF"]
SUPPRESSED = "#FF2D2D"
GRID_COLOURS = ["#FFB000", "#40C4FF"]  # the coarse grid (large objects), the fine one (small objects)
CELL_OPACITY = 90  # of 255


def colour(candidate: Candidate) -> str:
    return PALETTE[candidate.class_index % len(PALETTE)]


def scaled(box, factor: float) -> tuple[float, ...]:
    return tuple(value * factor for value in box)


def caption(candidate: Candidate) -> str:
    return f"{candidate.label} {candidate.score:.2f}"


def annotated(photo: Image.Image, detection: Detection) -> tuple[Image.Image, list]:
    """gr.AnnotatedImage's value: the photo (as shown) and each kept box, labelled with its class and score."""
    factor = photo.width / detection.letterbox.width
    return photo, [(tuple(round(value) for value in scaled(box.box, factor)), caption(box)) for box in detection.boxes]


def step_picture(photo: Image.Image, detection: Detection, step: str) -> Image.Image:
    """One step of the step-through drawn over the photo (as shown; boxes scaled from the original's pixels):
    "cells": the cells that fired, shaded in their grid's colour, with each anchor's prior box;
    "candidates": every box over the threshold, before NMS; "nms": the kept boxes, and the suppressed ones in red
    with the IoU that removed them."""
    factor = photo.width / detection.letterbox.width
    canvas = photo.convert("RGBA")
    shade = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw, shading = ImageDraw.Draw(canvas), ImageDraw.Draw(shade)
    font = ImageFont.load_default(size=max(12, photo.width // 50))
    width = max(2, photo.width // 300)
    if step == "cells":
        for candidate in {(c.grid, c.row, c.column): c for c in detection.candidates}.values():
            shading.rectangle(scaled(detection.cell_box(candidate.grid, candidate.row, candidate.column), factor),
                              fill=GRID_COLOURS[candidate.grid % 2] + f"{CELL_OPACITY:02X}")
        canvas = Image.alpha_composite(canvas, shade)
        draw = ImageDraw.Draw(canvas)
        for candidate in detection.candidates:
            draw.rectangle(scaled(detection.anchor_box(candidate), factor), outline=GRID_COLOURS[candidate.grid % 2],
                           width=1)
    for candidate in detection.candidates if step != "cells" else []:
        box = scaled(candidate.box, factor)
        if step == "nms" and not candidate.kept:
            draw.rectangle(box, outline=SUPPRESSED, width=1)
            draw.text((box[0] + 3, box[3] - 3), f"IoU {candidate.iou:.2f}", fill=SUPPRESSED, font=font, anchor="lb")
            continue
        draw.rectangle(box, outline=colour(candidate), width=width if step == "nms" else 1)
        draw.text((box[0] + 3, box[1] + 2), caption(candidate), fill=colour(candidate), font=font,
                  stroke_width=1, stroke_fill="black")
    return canvas.convert("RGB")


def outcome(detection: Detection, candidate: Candidate) -> str:
    if candidate.kept:
        return say("detection.kept")
    return say("detection.suppressed", number=candidate.suppressed_by + 1, iou=f"{candidate.iou:.2f}")


def candidate_table(detection: Detection) -> dict:
    """Every candidate, best first, numbered from 1: where it came from and what NMS did with it."""
    rows = []
    for number, candidate in enumerate(detection.candidates, start=1):
        grid = detection.grids[candidate.grid]
        anchor = grid.anchors[candidate.anchor]
        rows.append([number, candidate.label, round(candidate.score, 3), round(candidate.objectness, 3),
                     f"{grid.rows}×{grid.columns}", f"({candidate.row}, {candidate.column})",
                     f"{anchor[0]}×{anchor[1]}", ", ".join(f"{value:.0f}" for value in candidate.box),
                     outcome(detection, candidate)])
    return {"data": rows, "headers": [say(f"detection.column.{column}") for column in COLUMNS]}


def summary(detection: Detection) -> str:
    fired = {(c.grid, c.row, c.column) for c in detection.candidates}
    return say("detection.summary", cells=len(fired), anchors=len(detection.candidates),
               total=sum(grid.rows * grid.columns * len(grid.anchors) for grid in detection.grids),
               kept=len(detection.boxes), suppressed=len(detection.candidates) - len(detection.boxes),
               ms=round(detection.seconds * 1000))
