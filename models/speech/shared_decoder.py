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
from concurrent.futures import Future

from models.speech.alignatt import AlignAttDecoder, DecodeRequest, DecodeResult
from models.speech.recognizer import SpeechRecognizer

MOST_PER_BATCH = 8  # more rows than this gain little on a CPU and hold every stream for longer
WORKERS = 2


class SharedDecoder:
    def __init__(self, decoder: AlignAttDecoder):
        self.decoder = decoder
        self.tokenizer = decoder.tokenizer
        self._waiting: list[tuple[DecodeRequest, Future]] = []
        self._has_work = threading.Condition()  # guards _waiting
        self.batch_sizes: list[int] = []  # every batch run so far, for the bench and tests
        for worker in range(WORKERS):
            threading.Thread(target=self._work, daemon=True, name=f"shared-whisper-decoder-{worker}").start()

    def decode(self, request: DecodeRequest) -> DecodeResult:
        """Blocks until the request has been decoded, alone or with others that were waiting."""
        future: Future = Future()
        with self._has_work:
            self._waiting.append((request, future))
            self._has_work.notify()
        return future.result()

    def _work(self) -> None:
        while True:
            with self._has_work:
                while not self._waiting:
                    self._has_work.wait()
                batch, self._waiting = self._waiting[:MOST_PER_BATCH], self._waiting[MOST_PER_BATCH:]
            self.batch_sizes.append(len(batch))
            try:
                results = self.decoder.decode_batch([request for request, _ in batch])
            except Exception as error:  # every waiting stream hears of it; the worker goes on
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), result in zip(batch, results):
                future.set_result(result)


_shared: dict[int, SharedDecoder] = {}  # by id(recognizer): the registry keeps each model for the process's life
_shared_lock = threading.Lock()  # guards _shared


def shared_decoder(recognizer: SpeechRecognizer) -> SharedDecoder:
    """The SharedDecoder of a loaded model, made on first use."""
    with _shared_lock:
        if id(recognizer) not in _shared:
            _shared[id(recognizer)] = SharedDecoder(AlignAttDecoder(recognizer))
        return _shared[id(recognizer)]
