"""Open user images safely: any format, orientation or mode in, an RGB image of bounded size out."""
import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from models.errors import InputError
from models.limits import LIMITS

MAX_IMAGE_PIXELS = LIMITS.image_pixels
MIN_IMAGE_SIDE = 8


def open_image(source: str | Path | bytes | np.ndarray | Image.Image) -> Image.Image:
    """Decode `source` to an RGB PIL image, EXIF rotation applied; InputError for anything unusable."""
    if source is None:
        raise InputError.of("image.missing")
    if isinstance(source, np.ndarray):
        image = _from_array(source)
    elif isinstance(source, Image.Image):
        image = source
    else:
        image = _decode(source)
    if image.width < MIN_IMAGE_SIDE or image.height < MIN_IMAGE_SIDE:
        raise InputError.of("image.too_small", width=image.width, height=image.height, side=MIN_IMAGE_SIDE)
    return _to_rgb(image)


def _decode(source: str | Path | bytes) -> Image.Image:
    data = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(data)
            # The header gives the size before any pixel is decoded: refuse bombs here.
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise InputError.of("image.too_many_pixels", width=image.width, height=image.height,
                                     megapixels=MAX_IMAGE_PIXELS / 1e6)
            image.seek(0)  # first frame of an animated GIF / WebP
            image.load()
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow refuses these in Image.open, before the header check above: still say what the limit is.
        raise InputError.of("image.bomb", megapixels=MAX_IMAGE_PIXELS / 1e6) from error
    except UnidentifiedImageError as error:
        raise InputError.of("image.unreadable", error=type(error).__name__) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise InputError.of("image.corrupt", error=error) from error
    return ImageOps.exif_transpose(image)


def _from_array(array: np.ndarray) -> Image.Image:
    if array.size == 0:
        raise InputError.of("image.empty")
    if array.ndim not in (2, 3) or array.shape[0] * array.shape[1] > MAX_IMAGE_PIXELS:
        raise InputError.of("image.bad_array", shape=array.shape)
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255 if array.max() > 1 else 1)
        array = (array * (255 if array.max() <= 1 else 1)).astype(np.uint8)
    return Image.fromarray(array)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype=np.float64)
        span = max(values.max() - values.min(), 1.0)
        return Image.fromarray(((values - values.min()) / span * 255).astype(np.uint8)).convert("RGB")
    return image.convert("RGB")
