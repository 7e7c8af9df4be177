import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"


def speech_clips(language: str) -> list[tuple[Path, str]]:
    """The example clips in `language` with their reference text, from assets/audio/transcripts.tsv."""
    with open(ASSETS / "audio" / "transcripts.tsv", encoding="utf-8") as table:
        rows = list(csv.DictReader(table, delimiter="\t"))
    return [(ASSETS / "audio" / row["file"], row["text"]) for row in rows if row["language"] == language]
