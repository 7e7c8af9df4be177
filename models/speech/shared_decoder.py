"""One decoder for every live stream of a model: decodes that fall due together run as one batch.

A class of thirty talking at once does not load thirty models or queue thirty decodes one behind the
other: each stream hands its request to its model's `SharedDecoder` and waits; a free worker thread takes
every request waiting at that moment (up to `MOST_PER_BATCH`) and runs them as one `decode_batch`.
A lone stream waits for nothing: its request is taken at once. There are WORKERS workers: a decode is
a Python loop of small steps that leaves a core idle, so a second batch beside the first finishes
sooner than after it (4 streams on 2 cores: the worst final latency 3.6× one stream's with one
worker; bench/RESULTS.md).
"""
import threading

from models.batching import Batcher
from models.speech.alignatt import AlignAttDecoder, DecodeRequest, DecodeResult
from models.speech.recognizer import SpeechRecognizer

MOST_PER_BATCH = 8  # more rows than this gain little on a CPU and hold every stream for longer
WORKERS = 2


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


_shared: dict[int, SharedDecoder] = {}  # by id(recognizer): the registry keeps each model for the process's life
_shared_lock = threading.Lock()  # guards _shared


def shared_decoder(recognizer: SpeechRecognizer) -> SharedDecoder:
    """The SharedDecoder of a loaded model, made on first use."""
    with _shared_lock:
        if id(recognizer) not in _shared:
            _shared[id(recognizer)] = SharedDecoder(AlignAttDecoder(recognizer))
        return _shared[id(recognizer)]
