"""The bad-input catalogue: what a classroom or a public Space sends, through the public API of the launched app.

Each case either gets a clear, user-readable error (gr.Error reaches gradio_client as AppError with its
message) or is handled (converted, first frame, chunked...) and answered; after each, the same tab still
answers a good request.
"""
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image
from tests.tests_paths import ASSETS, speech_clips

from models.limits import LIMITS

pytestmark = pytest.mark.slow

RATE = 16000
COFFEE = ASSETS / "images" / "coffee.jpg"


@dataclass
class Case:
    id: str
    endpoint: str  # the tab's API name
    arguments: Callable[[Path], tuple]  # tmp_path -> what the endpoint is given
    error: str | None = None  # regex the error message must match; None: the input is handled and answered
    check: Callable[[object], bool] = lambda answer: answer is not None


def english_clip() -> tuple[Path, str]:
    return speech_clips("en")[0]


def heard_the_words(text: str) -> bool:
    reference = {word.strip(".,").lower() for word in english_clip()[1].split()}
    return len(reference & {word.strip(".,").lower() for word in text.split()}) >= len(reference) / 2


# ---- audio -------------------------------------------------------------------------------------------

def speech(samples: np.ndarray, rate: int, name: str, subtype: str | None = None):
    def write(tmp_path: Path) -> tuple:
        path = tmp_path / name
        soundfile.write(path, samples, rate, subtype=subtype)
        return handle_file(str(path)), "whisper-tiny.en", "auto", "transcribe"
    return write


def audio_bytes(data: bytes, name: str):
    def write(tmp_path: Path) -> tuple:
        (tmp_path / name).write_bytes(data)
        return handle_file(str(tmp_path / name)), "whisper-tiny.en", "auto", "transcribe"
    return write


def resampled_clip(rate: int, channels: int) -> np.ndarray:
    samples, clip_rate = soundfile.read(english_clip()[0], dtype="float32")
    positions = np.arange(0, len(samples), clip_rate / rate)
    resampled = np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
    return np.stack([resampled] * channels, axis=1) if channels > 1 else resampled


noise = np.random.default_rng(0).normal(0, 0.3, RATE * 3).astype(np.float32)
with_nan = np.random.default_rng(1).normal(0, 0.1, RATE * 2).astype(np.float32)
with_nan[100:200] = np.nan
twenty_minutes = np.zeros(8000 * 60 * 20, np.int16)  # 8 kHz int16 keeps the upload at 19 MB
twenty_minutes[::50] = 3000  # not silent

AUDIO = [
    Case("audio-empty-file", "/transcribe", audio_bytes(b"", "empty.wav"), "(?i)could not decode|empty"),
    Case("audio-no-samples", "/transcribe", speech(np.zeros(0, np.float32), RATE, "none.wav"), "audio is empty"),
    Case("audio-50-ms", "/transcribe", speech(np.full(800, 0.1, np.float32), RATE, "blip.wav"), "audio is empty"),
    Case("audio-silent", "/transcribe", speech(np.zeros(RATE * 3, np.float32), RATE, "silent.wav"), "silent"),
    Case("audio-pure-noise", "/transcribe", speech(noise, RATE, "noise.wav"), None,
         lambda answer: isinstance(answer[0], str) and any("real-time factor" in str(part) for part in answer)),
    Case("audio-nan-samples", "/transcribe", speech(with_nan, RATE, "nan.wav", "FLOAT"),
         "invalid \\(NaN"),
    Case("audio-garbage-bytes", "/transcribe", audio_bytes(bytes(np.random.default_rng(2).integers(0, 256, 4000,
                                                                                                   np.uint8)),
                                                           "garbage.wav"), "Could not decode the audio"),
    Case("audio-fake-riff-header", "/transcribe", audio_bytes(b"RIFF\x00\x00not really a wave file" * 10, "riff.wav"),
         "Could not decode the audio"),
    Case("audio-wrong-container", "/transcribe", audio_bytes(COFFEE.read_bytes(), "photo.mp3"),
         "Could not decode the audio"),
    Case("audio-8-khz", "/transcribe", speech(resampled_clip(8000, 1), 8000, "phone.wav"), None,
         lambda answer: heard_the_words(answer[0])),
    Case("audio-stereo-44-khz", "/transcribe", speech(resampled_clip(44100, 2), 44100, "stereo.wav"), None,
         lambda answer: heard_the_words(answer[0])),
    Case("audio-20-minutes", "/transcribe", speech(twenty_minutes, 8000, "lecture.wav"),
         f"20.0 minutes long; the limit is {LIMITS.audio_seconds // 60} minutes"),
    Case("audio-unknown-model", "/transcribe",
         lambda tmp_path: (handle_file(str(english_clip()[0])), "whisper-huge", "auto", "transcribe"),
         "whisper-huge is not in the list of choices|^No model named 'whisper-huge'"),
    Case("audio-english-model-asked-for-chinese", "/transcribe",
         lambda tmp_path: (handle_file(str(english_clip()[0])), "whisper-tiny.en", "zh", "transcribe"),
         "(?i)english only"),
]


# ---- images ------------------------------------------------------------------------------------------

def image_file(name: str, write: Callable[[Path], None]):
    def arguments(tmp_path: Path) -> tuple:
        write(tmp_path / name)
        return handle_file(str(tmp_path / name)), "efficientnet-lite0"
    return arguments


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header claims width × height pixels: decoded, it would fill gigabytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def exif_rotated(path: Path) -> None:
    """The coffee photo stored on its side, with the EXIF tag that says to turn it back."""
    with Image.open(COFFEE) as photo:
        exif = Image.Exif()
        exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
        photo.transpose(Image.Transpose.ROTATE_90).save(path, exif=exif)


def animated_gif(path: Path) -> None:
    with Image.open(COFFEE) as photo:
        frames = [photo.convert("P"), Image.new("P", photo.size, 0), Image.new("P", photo.size, 255)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)


def sixteen_bit(path: Path) -> None:
    with Image.open(COFFEE) as photo:
        grey = np.asarray(photo.convert("L"), np.uint16) * 257
    Image.fromarray(grey).save(path)  # mode I;16


def is_espresso(answer) -> bool:
    return answer["label"] == "espresso" and len(answer["confidences"]) == 5


def is_classified(answer) -> bool:
    return len(answer["confidences"]) == 5


def detect_file(name: str, write: Callable[[Path], None]):
    def arguments(tmp_path: Path) -> tuple:
        write(tmp_path / name)
        return handle_file(str(tmp_path / name)), 0.25
    return arguments


def half_transparent(path: Path) -> None:
    with Image.open(COFFEE) as photo:
        clear = photo.convert("RGBA")
        clear.putalpha(128)
        clear.save(path)


def finds_the_cup(answer) -> bool:
    return "cup" in {box["label"] for box in answer["boxes"]}


def finds_the_cup_where_shown(answer) -> bool:
    """The cup's box in the photo as shown (600 × 400, EXIF applied), not as stored on its side."""
    return any(box["label"] == "cup" and abs((box["box"][0] + box["box"][2]) / 2 - 290) < 40
               and abs((box["box"][1] + box["box"][3]) / 2 - 160) < 40 for box in answer["boxes"])


IMAGES = [
    Case("image-empty-file", "/classify", image_file("empty.jpg", lambda path: path.write_bytes(b"")),
         "not an image"),
    Case("image-corrupt", "/classify", image_file("corrupt.jpg", lambda path: path.write_bytes(
        COFFEE.read_bytes()[:200] + bytes(np.random.default_rng(3).integers(0, 256, 5000, np.uint8)))),
         "(?i)corrupt|truncated|not an image"),
    Case("image-truncated", "/classify", image_file("half.jpg", lambda path: path.write_bytes(
        COFFEE.read_bytes()[:len(COFFEE.read_bytes()) // 2])), "corrupt or truncated"),
    Case("image-text-renamed", "/classify", image_file("notes.jpg", lambda path: path.write_text(
        "this is text renamed as an image")), "not an image"),
    Case("image-cmyk", "/classify", image_file("cmyk.jpg", lambda path: Image.open(COFFEE).convert("CMYK").save(path)),
         None, is_espresso),
    Case("image-16-bit", "/classify", image_file("deep.png", sixteen_bit), None, is_classified),
    Case("image-animated-gif", "/classify", image_file("moving.gif", animated_gif), None, is_classified),
    Case("image-exif-rotated", "/classify", image_file("rotated.jpg", exif_rotated), None, is_espresso),
    Case("image-1x1", "/classify", image_file("dot.png", lambda path: Image.new("RGB", (1, 1)).save(path)),
         "1×1 pixels; at least 8×8"),
    Case("image-bomb-over-limit", "/classify", image_file("bomb.png", lambda path: path.write_bytes(
        png_claiming(8000, 6000))), f"limit is {LIMITS.image_pixels / 1e6:.0f} megapixels"),
    Case("image-bomb-over-pillow-limit", "/classify", image_file("huge.png", lambda path: path.write_bytes(
        png_claiming(60000, 60000))), f"limit is {LIMITS.image_pixels / 1e6:.0f} megapixels"),
    Case("image-unknown-model", "/classify", lambda tmp_path: (handle_file(str(COFFEE)), "resnet-9000"),
         "resnet-9000 is not in the list of choices|^No model named 'resnet-9000'"),
    Case("image-explain-unknown-class", "/explain",
         lambda tmp_path: (handle_file(str(COFFEE)), "efficientnet-lite0", "unicorn", "_conv_head", 0.5),
         "not one of the model's classes"),
]

DETECTION = [  # the same messages as classification
    Case("detect-corrupt", "/detect", detect_file("corrupt.jpg", lambda path: path.write_bytes(
        COFFEE.read_bytes()[:200] + bytes(np.random.default_rng(3).integers(0, 256, 5000, np.uint8)))),
         "(?i)corrupt|truncated|not an image"),
    Case("detect-1x1", "/detect", detect_file("dot.png", lambda path: Image.new("RGB", (1, 1)).save(path)),
         "1×1 pixels; at least 8×8"),
    Case("detect-bomb-over-limit", "/detect", detect_file("bomb.png", lambda path: path.write_bytes(
        png_claiming(8000, 6000))), f"limit is {LIMITS.image_pixels / 1e6:.0f} megapixels"),
    Case("detect-half-transparent", "/detect", detect_file("clear.png", half_transparent), None, finds_the_cup),
    Case("detect-exif-rotated", "/detect", detect_file("rotated.jpg", exif_rotated), None, finds_the_cup_where_shown),
]


# ---- text: translation and attention ----------------------------------------------------------------

def translate(text: str, direction: str = "bergamot-en-pt"):
    return lambda tmp_path: (text, direction, 1)


def attend(text: str, model: str = "all-minilm-l6-v2", layer: int = 0):
    return lambda tmp_path: (model, text, layer, 0)


TEN_THOUSAND_WORDS = "word " * 10_000
MIXED = "Hello мир 世界, bom dia!\x07 The cat\x00 is sleeping."


def attention_answered(answer) -> bool:
    [maps] = answer["maps"]
    return np.allclose(np.array(maps["weights"]).sum(axis=1), 1.0, atol=1e-4)


TEXT = [
    Case("translate-empty", "/translate", translate(""), "no text"),
    Case("translate-whitespace", "/translate", translate("   \n\t  "), "no text"),
    Case("translate-control-only", "/translate", translate("\x00\x01\x02"), "no text"),
    Case("translate-emoji-only", "/translate", translate("😀🎉👍"), "knows none of these characters"),
    Case("translate-mixed-script-and-control", "/translate", translate(MIXED), None,
         lambda answer: "gato" in answer[0] and "\x00" not in answer[0]),
    Case("translate-10000-words", "/translate", translate(TEN_THOUSAND_WORDS),
         f"limit is {LIMITS.text_characters:,}"),
    Case("translate-one-endless-sentence", "/translate", translate("and then " * 1_000),
         f"limit is {LIMITS.sentence_tokens}"),
    Case("translate-unknown-direction", "/translate", translate("Hello.", "bergamot-en-fr"),
         "bergamot-en-fr is not in the list of choices|^No model named 'bergamot-en-fr'"),
    Case("attention-empty", "/attention", attend(""), "Type a sentence"),
    Case("attention-whitespace", "/attention", attend("   \n "), "Type a sentence"),
    Case("attention-emoji-only", "/attention", attend("😀🎉👍"), None, attention_answered),
    Case("attention-mixed-script-and-control", "/attention", attend(MIXED), None, attention_answered),
    Case("attention-10000-words", "/attention", attend(TEN_THOUSAND_WORDS),
         f"at most {LIMITS.attention_tokens}"),
    Case("attention-unknown-model", "/attention", attend("Hi.", "gpt-5"), "^No model named 'gpt-5'"),
    Case("attention-no-such-layer", "/attention", attend("Hi.", layer=40), "no layer 40|layers 0–5"),
    Case("attention-whisper-without-clip", "/attention", attend("nothing", "whisper-tiny.en"), "No example clip"),
]


# ---- training ----------------------------------------------------------------------------------------

def train(**settings):
    config = {"task": "digits", "variant": "mlp", "optimizer": "adam", "learning_rate": 3e-3, "batch_size": 32,
              "epochs": 1, "seed": 0, "validation_split": 0.2, **settings}
    return lambda tmp_path: tuple(config.values())


TRAINING = [
    Case("train-nan-learning-rate", "/train", train(learning_rate="nan"), "must be a finite number"),  # JSON has no NaN
    Case("train-negative-learning-rate", "/train", train(learning_rate=-1), "Learning rate must be above 0"),
    Case("train-huge-learning-rate", "/train", train(learning_rate=1e6), f"at most {LIMITS.learning_rate:g}"),
    Case("train-zero-epochs", "/train", train(epochs=0), "Epochs must be a whole number from 1"),
    Case("train-batch-larger-than-data", "/train", train(batch_size=4000), "larger than the 1438 training examples"),
    Case("train-unknown-task", "/train", train(task="chess"), "Unknown task 'chess'"),
    Case("train-diverging-run", "/train", train(optimizer="sgd", learning_rate=10, epochs=2), None,
         lambda answer: answer["status"] == "diverged" and "Lower the learning rate" in answer["message"]),
]

# endpoint of a case -> a good request to the same tab: (API name, its arguments, what the answer must be)
GOOD_REQUESTS = {
    "/transcribe": ("/transcribe", lambda tmp_path: (handle_file(str(english_clip()[0])), "whisper-tiny.en", "auto",
                                            "transcribe"), lambda answer: heard_the_words(answer[0])),
    "/classify": ("/classify", lambda tmp_path: (handle_file(str(COFFEE)), "efficientnet-lite0"), is_espresso),
    "/detect": ("/detect", lambda tmp_path: (handle_file(str(COFFEE)), 0.25), finds_the_cup),
    "/explain": ("/explain", lambda tmp_path: (handle_file(str(COFFEE)), "efficientnet-lite0", "", "_conv_head", 0.5),
                 lambda answer: Path(answer).is_file()),
    "/translate": ("/translate", lambda tmp_path: ("The cat is sleeping.", "bergamot-en-pt", 1),
                   lambda answer: "gato" in answer[0].lower()),
    "/attention": ("/attention", lambda tmp_path: ("all-minilm-l6-v2", "The cat sat on the mat.", 2, 5), attention_answered),
    "/train": ("/train", train(), lambda answer: answer["status"] == "finished"),
}

CATALOGUE = AUDIO + IMAGES + DETECTION + TEXT + TRAINING


def test_the_catalogue_covers_at_least_thirty_bad_inputs_in_every_tab():
    assert len(CATALOGUE) >= 30
    assert {case.endpoint for case in CATALOGUE} >= {"/transcribe", "/classify", "/translate", "/attention", "/train"}


@pytest.mark.parametrize("case", CATALOGUE, ids=[case.id for case in CATALOGUE])
def test_bad_input_gets_a_clear_answer_and_the_tab_keeps_serving(client, tmp_path, case):
    arguments = case.arguments(tmp_path)
    if case.error is None:
        answer = client.predict(*arguments, api_name=case.endpoint)
        assert case.check(answer), answer
    else:
        with pytest.raises(AppError, match=case.error) as raised:
            client.predict(*arguments, api_name=case.endpoint)
        assert "Something went wrong" not in str(raised.value)  # a handled error, not a crash
    api_name, good_arguments, good = GOOD_REQUESTS[case.endpoint]
    assert good(client.predict(*good_arguments(tmp_path), api_name=api_name))


def test_stopping_a_run_twice_and_an_unknown_run(client):
    job = client.submit("digits", "mlp", "sgd", 0.01, 8, 200, 0, 0.2, api_name="/train")
    runs, deadline = [], time.monotonic() + 60
    while not runs and time.monotonic() < deadline:
        runs = [run for run in client.predict(api_name="/runs") if run["status"] in ("queued", "running")]
    run_id = runs[0]["run_id"]
    assert client.predict(run_id, api_name="/stop")["status"] == "stopped"
    assert client.predict(run_id, api_name="/stop")["status"] == "stopped"
    assert job.result(timeout=60)["status"] == "stopped"
    with pytest.raises(AppError, match="There is no run #99999"):
        client.predict(99999, api_name="/stop")
    assert client.predict(api_name="/runs")[0]["status"] == "stopped"
