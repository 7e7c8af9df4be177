"""The Image tab's pictures: the photo as shown, a Grad-CAM heatmap painted over it, and feature maps laid out in
a grid."""
import numpy as np
from PIL import Image, ImageOps

from models.errors import InputError
from models.vision.images import open_image

# Anchors of the classic "jet" colour map: blue (cold) → cyan → yellow → red (hot).
JET_STOPS = np.array([0.0, 0.125, 0.375, 0.625, 0.875, 1.0])
JET_COLOURS = np.array([[0, 0, 143], [0, 0, 255], [0, 255, 255], [255, 255, 0], [255, 0, 0], [128, 0, 0]])
# The colour map read from a table of this many levels: a photo's worth of np.interp per channel cost half a
# classification (19 ms on 600 x 400); the steepest stretch (255 per 0.25) moves less than 0.5 between levels.
JET_LEVELS = 2048
GRID_COLUMNS = 8
GRID_GAP = 2  # white pixels between two maps
DISPLAY_SIDE = 1024  # photos are explained and shown at most this large: PIL antialiases, the models see less


def photo_for_display(image_path) -> Image.Image:
    photo = open_image(image_path)
    return ImageOps.contain(photo, (DISPLAY_SIDE, DISPLAY_SIDE)) if max(photo.size) > DISPLAY_SIDE else photo


def jet(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1], shape [...] -> float RGB in 0–255, shape [..., 3]."""
    return np.stack([np.interp(values, JET_STOPS, JET_COLOURS[:, channel]) for channel in range(3)], axis=-1)


JET_TABLE = jet(np.linspace(0.0, 1.0, JET_LEVELS)).astype(np.float32)  # [JET_LEVELS, 3]


def jet_from_table(values: np.ndarray) -> np.ndarray:
    """`jet` read from JET_TABLE at the nearest level: float32 RGB, shape [..., 3]."""
    levels = np.rint(np.clip(values, 0.0, 1.0) * (JET_LEVELS - 1)).astype(np.intp)
    return JET_TABLE[levels]


def heat_overlay(image, heatmap: np.ndarray, opacity: float = 0.5) -> Image.Image:
    """The photo with the [H, W] heatmap (in [0, 1], the photo's size) painted over it in the jet colour map, up to
    `opacity` at the hottest point."""
    picture = open_image(image)
    if heatmap.shape != (picture.height, picture.width):
        raise InputError.of("cam.size_mismatch", heatmap_width=heatmap.shape[1], heatmap_height=heatmap.shape[0],
                            width=picture.width, height=picture.height)
    # Colour in proportion to the heat: where there is no evidence (or the network saw nothing) the photo shows.
    alpha = np.float32(opacity) * heatmap[..., None].astype(np.float32, copy=False)
    blended = (1 - alpha) * np.asarray(picture, np.float32) + alpha * jet_from_table(heatmap)
    return Image.fromarray(blended.clip(0, 255).astype(np.uint8))


def feature_grid(maps: np.ndarray, columns: int = GRID_COLUMNS, gap: int = GRID_GAP) -> Image.Image:
    """[channels, h, w] -> one grey image of the maps in a grid, each scaled to its own range."""
    channels, height, width = maps.shape
    rows = -(-channels // columns)
    grid = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), 255, np.uint8)
    for index, feature in enumerate(maps):
        span = max(float(feature.max() - feature.min()), 1e-6)
        row, column = divmod(index, columns)
        top, left = row * (height + gap), column * (width + gap)
        grid[top: top + height, left: left + width] = ((feature - feature.min()) / span * 255).astype(np.uint8)
    return Image.fromarray(grid)
