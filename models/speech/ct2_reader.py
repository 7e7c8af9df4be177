"""Read the variables of a CTranslate2 `model.bin` into numpy arrays (no ctranslate2 needed).

Layout (binary version >= 5, little-endian): u32 version; spec name; u32 revision; u32 variable
count; per variable: name, u8 rank, u32 per dimension, u8 dtype, u32 byte count, raw data; then
u32 alias count and per alias two names. Strings are a u16 length (NUL included) then the bytes.
"""
import io
import struct
from pathlib import Path

import numpy as np

_DTYPES = {
    0: np.float32,
    1: np.int8,
    2: np.int16,
    3: np.int32,
    4: np.float16,
    5: "bfloat16",  # numpy has no bfloat16: stored as the upper 16 bits of a float32
}


def _read(stream: io.BufferedIOBase, fmt: str):
    size = struct.calcsize(fmt)
    data = stream.read(size)
    if len(data) != size:
        raise ValueError("CTranslate2 model file ends early")
    return struct.unpack("<" + fmt, data)[0]


def _read_string(stream: io.BufferedIOBase) -> str:
    length = _read(stream, "H")
    return stream.read(length).rstrip(b"\0").decode("utf-8")


def _bfloat16_to_float32(raw: bytes) -> np.ndarray:
    upper = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
    return upper.view(np.float32)


def read_ct2_model(files: str | Path | list[str | Path]) -> dict[str, np.ndarray]:
    """Variables of a CT2 model, name -> array; `files` is `model.bin` or its parts, in order."""
    paths = [files] if isinstance(files, (str, Path)) else list(files)
    blob = b"".join(Path(path).read_bytes() for path in paths)
    stream = io.BytesIO(blob)

    version = _read(stream, "I")
    if version < 5:
        raise ValueError(f"CTranslate2 binary version {version} is not supported (need >= 5)")
    _read_string(stream)  # spec name, e.g. "WhisperSpec"
    _read(stream, "I")  # spec revision

    variables = {}
    for _ in range(_read(stream, "I")):
        name = _read_string(stream)
        rank = _read(stream, "B")
        shape = tuple(_read(stream, "I") for _ in range(rank))
        dtype = _DTYPES[_read(stream, "B")]
        raw = stream.read(_read(stream, "I"))
        array = _bfloat16_to_float32(raw) if dtype == "bfloat16" else np.frombuffer(raw, dtype=dtype)
        variables[name] = array.reshape(shape)

    alias_count = stream.read(4)
    if len(alias_count) == 4:
        for _ in range(struct.unpack("<I", alias_count)[0]):
            alias, target = _read_string(stream), _read_string(stream)
            variables[alias] = variables[target]
    return variables
