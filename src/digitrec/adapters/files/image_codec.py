"""Image bytes <-> arrays with Pillow, refusing what is not an image or is absurdly large."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from digitrec.domain.types.errors import InvalidImage
from digitrec.domain.types.submissions import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS

MAX_BYTES = MAX_IMAGE_BYTES  # the same limits a Submission checks, before anything is decoded
MAX_PIXELS = MAX_IMAGE_PIXELS


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """Decode PNG/JPEG/... bytes to a uint8 array (H, W) or (H, W, 3|4), checking size before decoding."""
    if len(data) > MAX_BYTES:
        raise InvalidImage(f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise InvalidImage(
                        f"{name} is {width}x{height} pixels; the limit is {MAX_PIXELS:,} pixels"
                    )
                image.load()
                if image.mode not in ("L", "RGB", "RGBA"):
                    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
                return np.asarray(image).copy()
    except InvalidImage:
        raise
    except Image.UnidentifiedImageError:
        raise InvalidImage(
            f"{name} is not a readable image (not PNG, JPEG, GIF, BMP, TIFF or WebP data, or a damaged one)"
        ) from None
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise InvalidImage(f"{name} is not a readable image ({exc})") from exc


def read_image(path: Path) -> np.ndarray:
    return decode_image(read_image_bytes(path), name=str(path))


def read_image_bytes(path: Path) -> bytes:
    """A file's bytes, refused (by its size) before reading when it is larger than any drawing."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InvalidImage(f"{path} is {size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB")
        return path.read_bytes()
    except OSError as exc:
        raise InvalidImage(f"cannot read {path}: {exc.strerror or exc}") from exc


def encode_png(array: np.ndarray) -> bytes:
    """A uint8 (or [0, 1] float) array as PNG bytes."""
    values = np.asarray(array)
    if values.dtype != np.uint8:
        values = (np.clip(values, 0.0, 1.0) * 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")
    return buffer.getvalue()


class PillowImageCodec:
    """The `ImageCodec` port: image files and bytes to arrays and back, with Pillow and the limits above."""

    decode = staticmethod(decode_image)
    read = staticmethod(read_image)
    encode_png = staticmethod(encode_png)
