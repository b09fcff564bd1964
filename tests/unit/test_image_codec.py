import struct
import zlib

import numpy as np
import pytest

from digitrec.adapters.files.image_codec import MAX_BYTES, decode_image, encode_png, read_image
from digitrec.domain.types.errors import InvalidImage


def png_header_only(width: int, height: int) -> bytes:
    """A PNG claiming to be width x height (8-bit gray) with one tiny compressed row: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_png_round_trip_keeps_pixels():
    pixels = (np.arange(280 * 280, dtype=np.uint32) % 256).astype(np.uint8).reshape(280, 280)
    np.testing.assert_array_equal(decode_image(encode_png(pixels)), pixels)
    rgba = np.dstack([pixels] * 4)
    np.testing.assert_array_equal(decode_image(encode_png(rgba)), rgba)


def test_float_images_are_encoded_as_8_bit():
    decoded = decode_image(encode_png(np.full((28, 28), 0.5, np.float32)))
    assert decoded.dtype == np.uint8 and decoded[0, 0] == 128


@pytest.mark.parametrize(
    ("side", "message"), [(5_000, "5000x5000 pixels; the limit"), (50_000, "could be decompression bomb")]
)
def test_a_decompression_bomb_is_refused_before_decoding(side, message):
    with pytest.raises(InvalidImage, match=message):
        decode_image(png_header_only(side, side))


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_bytes_that_are_not_an_image_are_refused(data):
    with pytest.raises(InvalidImage, match="not a readable image") as refused:
        decode_image(data, name="upload")
    assert "BytesIO" not in str(refused.value) and str(refused.value).startswith("upload ")


def test_oversized_input_is_refused_by_size(tmp_path):
    with pytest.raises(InvalidImage, match="MB; the limit"):
        decode_image(b"\0" * (MAX_BYTES + 1))
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (MAX_BYTES + 1))
    with pytest.raises(InvalidImage, match="MB; the limit"):
        read_image(big)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(InvalidImage, match="cannot read"):
        read_image(tmp_path / "nope.png")
