"""The studio's analogy set (assets/text/analogies.tsv: capitals, plurals, past tenses, comparatives) and how
often a set of word vectors answers it: top-1 accuracy of b − a + c, the three inputs excluded."""
from dataclasses import dataclass
from pathlib import Path

from models.language.word_vectors import WordVectors

ANALOGIES_FILE = Path(__file__).resolve().parents[2] / "assets" / "text" / "analogies.tsv"


@dataclass(frozen=True)
class AnalogyItem:
    category: str
    a: str
    b: str
    c: str
    expected: str  # a : b :: c : expected


@dataclass(frozen=True)
class AnalogyScore:
    correct: int
    covered: int  # items whose four words the vectors know
    total: int
    by_category: dict[str, tuple[int, int]]  # category -> (correct, covered)

    @property
    def accuracy(self) -> float:
        """Top-1 accuracy over the covered items."""
        return self.correct / self.covered if self.covered else 0.0


def analogy_items(path: Path = ANALOGIES_FILE) -> list[AnalogyItem]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    return [AnalogyItem(*row) for row in rows]


def score(vectors: WordVectors, items: list[AnalogyItem]) -> AnalogyScore:
    correct, covered, by_category = 0, 0, {}
    for item in items:
        right, seen = by_category.get(item.category, (0, 0))
        if all(word in vectors for word in (item.a, item.b, item.c, item.expected)):
            hit = vectors.analogy(item.a, item.b, item.c, 1).answers[0].word == item.expected
            correct, covered = correct + hit, covered + 1
            right, seen = right + hit, seen + 1
        by_category[item.category] = (right, seen)
    return AnalogyScore(correct, covered, len(items), by_category)
