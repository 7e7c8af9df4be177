"""One decoder for every live stream of a model: AlignAtt's decodes that fall due together run as one batch, and
LocalAgreement's take turns.

A class of thirty talking at once does not load thirty models or queue thirty decodes one behind the
other: each stream hands its request to its model's `SharedDecoder` and waits; a free worker thread takes
every request waiting at that moment (up to `MOST_PER_BATCH`) and runs them as one `decode_batch`.
A lone stream waits for nothing: its request is taken at once. There are WORKERS workers: a decode is
a Python loop of small steps that leaves a core idle, so a second batch beside the first finishes
sooner than after it (4 streams on 2 cores: the worst final latency 3.6× one stream's with one
worker; bench/RESULTS.md).

LocalAgreement's decodes cannot share a batch (each has its own prompt, buffer length and early stop), so they take
turns (`DecodeTurns`), a decode that ends a phrase before the others: four streams each decoding as often as they
can would each get a quarter of the CPU, and the words a speaker waits for at a pause would wait behind the other
streams' tentative ones.
"""
import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from models.batching import Batcher
from models.speech.alignatt import AlignAttDecoder, DecodeRequest, DecodeResult
from models.speech.recognizer import SpeechRecognizer

MOST_PER_BATCH = 8  # more rows than this gain little on a CPU and hold every stream for longer
WORKERS = 2
# LocalAgreement decodes run one at a time, each with every core: two at once (four OpenMP threads on two cores,
# stalling at each other's barriers) made the worst of 4 live streams 4.0x its final latency alone, one 1.7x
# (bench/RESULTS.md, 2026-12-07).
TURNS_AT_ONCE = 1


class SharedDecoder:
    """`decode` blocks until the request has been decoded, alone or with others that were waiting: the model's
    AlignAttDecoder behind a Batcher (models/batching.py) that waits for no one and runs WORKERS batches at once."""

    def __init__(self, decoder: AlignAttDecoder):
        self.decoder = decoder
        self.tokenizer = decoder.tokenizer
        self.batcher = Batcher(decoder.decode_batch, most=MOST_PER_BATCH, wait_seconds=0.0,
                               name="shared-whisper-decoder", workers=WORKERS)

    def decode(self, request: DecodeRequest) -> DecodeResult:
        return self.batcher(request)

    @property
    def batch_sizes(self) -> list[int]:
        """Every batch run so far, for the bench and tests."""
        return self.batcher.batch_sizes


class DecodeTurns:
    """At most `at_once` decodes run; a waiting decode that ends a phrase (`final`) goes before the others, and
    decodes of the same kind go in the order they came."""

    def __init__(self, at_once: int = TURNS_AT_ONCE):
        self.at_once = at_once
        self._running = 0
        self._waiting: list[tuple[bool, int]] = []  # heap of (not final, arrival): the next turn first
        self._arrivals = itertools.count()
        self._changed = threading.Condition()  # guards _running and _waiting

    @contextmanager
    def turn(self, final: bool) -> Iterator[None]:
        ticket = (not final, next(self._arrivals))
        with self._changed:
            heapq.heappush(self._waiting, ticket)
            self._changed.wait_for(lambda: self._running < self.at_once and self._waiting[0] == ticket)
            heapq.heappop(self._waiting)
            self._running += 1
            self._changed.notify_all()
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()


_shared: dict[int, SharedDecoder] = {}  # by id(recognizer): the registry keeps each model for the process's life
_shared_lock = threading.Lock()  # guards _shared


def shared_decoder(recognizer: SpeechRecognizer) -> SharedDecoder:
    """The SharedDecoder of a loaded model, made on first use."""
    with _shared_lock:
        if id(recognizer) not in _shared:
            _shared[id(recognizer)] = SharedDecoder(AlignAttDecoder(recognizer))
        return _shared[id(recognizer)]


_turns: dict[int, DecodeTurns] = {}  # by id(recognizer), as _shared
_turns_lock = threading.Lock()  # guards _turns


def decode_turns(recognizer: SpeechRecognizer) -> DecodeTurns:
    """The DecodeTurns of a loaded model's LocalAgreement streams, made on first use."""
    with _turns_lock:
        return _turns.setdefault(id(recognizer), DecodeTurns())
