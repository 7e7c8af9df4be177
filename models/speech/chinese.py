"""Chinese in the script the user asked for: Whisper writes Mandarin partly in Traditional characters
("今天天氣很好"), so its Chinese output goes through OpenCC's conversion tables (shipped in the opencc wheel)."""
from functools import lru_cache

from models.errors import InputError
from models.libraries import IMPORT_LOCK

CHINESE = "zh"
SCRIPTS = ("simplified", "traditional")
DEFAULT_SCRIPT = "simplified"
CONVERSIONS = {"simplified": "t2s", "traditional": "s2t"}  # OpenCC's configurations


def check_script(script: str) -> str:
    if script not in SCRIPTS:
        raise InputError.of("speech.unknown_script", script=script, choices=", ".join(SCRIPTS))
    return script


@lru_cache(maxsize=None)
def _converter(script: str):
    with IMPORT_LOCK:
        import opencc

    return opencc.OpenCC(CONVERSIONS[script])


def in_script(text: str, script: str = DEFAULT_SCRIPT) -> str:
    """`text` with its Chinese characters in `script`; other text unchanged."""
    return _converter(check_script(script)).convert(text)
