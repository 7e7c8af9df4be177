"""Speech recognition with Whisper: transcripts with segment times and per-token probabilities.

transformers is imported where it is used, under IMPORT_LOCK (see models/libraries.py)."""
from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import torch

from models.batching import SLOW_MODEL_NICENESS, Batcher, batcher_of
from models.errors import InputError, ModelUnavailable, Phrase
from models.libraries import IMPORT_LOCK
from models.progress import Progress
from models.speech.audio import HOP_LENGTH, N_SAMPLES, SAMPLE_RATE, TIME_PER_TIMESTAMP, check_speech, frame_rms
from models.speech.chinese import CHINESE, DEFAULT_SCRIPT, check_script, in_script
from models.speech.vad import WINDOW_SAMPLES, WINDOW_SECONDS, VoiceActivity, load_vad_model

if TYPE_CHECKING:
    from transformers import GenerationConfig, WhisperForConditionalGeneration, WhisperProcessor
    from transformers.modeling_outputs import BaseModelOutput

TASKS = ("transcribe", "translate")
TOP_ALTERNATIVES = 5
# openai/whisper stops a window after 224 tokens; the per-second cap also ends runaway repetition
# ("the one who will be the one who ...") early on short clips.
MAX_TOKENS_PER_WINDOW = 224
MAX_TOKENS_PER_SECOND = 16
# Decoding stops once the text ends in this many back-to-back copies of one phrase (of up to
# LONGEST_LOOPED_PHRASE tokens; a single token must repeat LOOPED_TOKEN_REPEATS times), and the copies
# after the first are dropped: a loop costs a few tokens, not the whole token cap.
LOOP_REPEATS = 3
LOOPED_TOKEN_REPEATS = 5
LONGEST_LOOPED_PHRASE = 12
MAX_PROMPT_TOKENS = 4  # <|startoftranscript|> <|lang|> <|task|> <|notimestamps|>
# Long audio is cut in the longest pause (Silero VAD) of a window's last seconds, not in mid-word; where they
# hold no pause, at their quietest moment.
CUT_SEARCH_SECONDS = 5
CUT_PAUSE_SECONDS = 0.1  # this long without speech is a pause (as Silero's own min_silence_duration_ms)
CUT_FRAME_SECONDS = 0.1  # the loudness of 100 ms frames is compared to find the quietest moment
# A fitted encoder window keeps this much silence after the audio: with less, Whisper sometimes loops
# ("the last train to the last train to ...") until its token cap. Streaming the 20 s example talk
# (39 decodes, tiny.en) looped 5 times with 2 s, never with 5 s or 10 s, nor with the full 30 s window.
FITTED_WINDOW_MARGIN_SECONDS = 5.0
ENCODER_FRAMES_PER_SECOND = 50  # after the encoder's stride-2 convolution
# How the linear layers run on CPU where only the text is read: whole windows of files, and LocalAgreement's live
# decodes. "int8": a copy of the model with them quantised once at load (int8 weights, each call's activations
# quantised on the fly: torch's dynamic quantisation, as CTranslate2's int8), the output projection included;
# "float": the loaded dtype. On the bench clips int8 was 1.4x faster than float32 on files, at a lower word error
# rate, and halved LocalAgreement's decodes (bench/RESULTS.md). AlignAtt and the attention views read the
# attention itself and keep the float model: in int8 the alignment heads' peaks moved, and AlignAtt put words out
# of order (a clip's last word at 0.42 s of 3.6 s). Multilingual models keep the float model for text too: in
# int8, base's Chinese CER on the bench clips doubled (22.7 % -> 47.7 %). CUDA keeps the loaded dtype (fp16/fp32).
PRECISIONS = ("float", "int8")
CPU_PRECISION = "int8"


@dataclass(frozen=True)
class Window:
    """Up to 30 s of audio to decode greedily, with the options its batch shares (`options`)."""
    features: torch.Tensor  # [1, mel bins, 3000]: the log-mel of the window, padded to 30 s
    seconds: float  # of audio in the window
    language: str
    task: str
    word_timestamps: bool

    @property
    def options(self) -> tuple[str, str, bool]:
        return self.language, self.task, self.word_timestamps


@dataclass(frozen=True)
class Decoded:
    """A window's greedy decode."""
    generated: list[int]  # the token ids after the prompt, without a loop's repeated copies
    scores: torch.Tensor  # [steps, vocabulary]: the decoder's processed scores at each step
    times: list[float] | None  # each token's start in the window (s), when word timestamps were asked for


@dataclass
class TokenInfo:
    text: str
    probability: float
    alternatives: list[tuple[str, float]]  # the decoder's top-5 candidates at this step, chosen one included


@dataclass
class Segment:
    start: float  # seconds from the start of the audio
    end: float
    text: str


@dataclass
class Word:
    text: str
    start: float  # seconds from the start of the audio, from the cross-attention alignment heads
    end: float
    probability: float  # mean of its tokens' probabilities


@dataclass
class Transcript:
    text: str
    language: str
    segments: list[Segment]
    tokens: list[TokenInfo]
    audio_seconds: float
    decode_seconds: float
    words: list[Word]  # empty unless word timestamps were asked for

    @property
    def real_time_factor(self) -> float:
        """Decoding time per second of audio: below 1, faster than the audio plays."""
        return self.decode_seconds / max(self.audio_seconds, 1e-6)


def in_chosen_script(transcript: Transcript, script: str) -> Transcript:
    """A Chinese transcript's text, segments, words and tokens in `script`; any other language's as it is."""
    if transcript.language != CHINESE:
        return transcript
    return replace(transcript, text=in_script(transcript.text, script),
                   segments=[replace(s, text=in_script(s.text, script)) for s in transcript.segments],
                   words=[replace(w, text=in_script(w.text, script)) for w in transcript.words],
                   tokens=[replace(token, text=in_script(token.text, script)) for token in transcript.tokens])


def loop_start(ids: list[int]) -> int | None:
    """Where the second copy begins if `ids` ends in a loop (see LOOP_REPEATS), else None."""
    for length in range(1, LONGEST_LOOPED_PHRASE + 1):
        copies = LOOP_REPEATS if length > 1 else LOOPED_TOKEN_REPEATS
        if len(ids) < length * copies:
            break
        tail = ids[-length * copies:]
        if tail == tail[:length] * copies:
            return len(ids) - length * (copies - 1)
    return None


class StopOnLoop:
    """A transformers stopping criterion: ends generation when the generated text tokens (not the
    prompt's) end in a loop."""

    def __init__(self, is_text: Callable[[int], bool]):
        self.is_text = is_text
        self.prompt_length: int | None = None
        self.stopped: dict[int, int] = {}  # row -> how many tokens it had generated when it first looped

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        if self.prompt_length is None:  # first called once one token is generated
            self.prompt_length = input_ids.shape[1] - 1
        rows = input_ids[:, self.prompt_length:].tolist()
        looping = [loop_start([token for token in row if self.is_text(token)]) is not None for row in rows]
        for row, looped in enumerate(looping):
            if looped:
                self.stopped.setdefault(row, len(rows[row]))
        return torch.tensor(looping, device=input_ids.device)


class StopWhen:
    """A transformers stopping criterion: ends generation as soon as `stop()` says so."""

    def __init__(self, stop: Callable[[], bool]):
        self.stop = stop

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), bool(self.stop()), device=input_ids.device)


def _window_bounds(samples: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) sample indices of windows of at most 30 s covering the audio."""
    bounds, start, vad_model = [], 0, None
    while len(samples) - start > N_SAMPLES:
        search_start = start + N_SAMPLES - CUT_SEARCH_SECONDS * SAMPLE_RATE
        search = samples[search_start : start + N_SAMPLES]
        if vad_model is None:
            vad_model = load_vad_model()
        activity = VoiceActivity(vad_model)
        activity.add(search)
        cut = _pause_cut(activity.flags, len(search))
        end = search_start + (cut if cut is not None else _quietest_cut(search))
        bounds.append((start, end))
        start = end
    bounds.append((start, len(samples)))
    return bounds


def _pause_cut(speech: np.ndarray, samples: int) -> int | None:
    """Where to cut `samples` samples whose 32 ms windows are flagged `speech`: in the middle of its longest pause
    (the latest of equals), or at the end if that pause lasts until then (the window keeps all it can); None
    if no pause lasts CUT_PAUSE_SECONDS."""
    edges = np.flatnonzero(np.diff(np.concatenate([[True], speech, [True]]).astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]  # [start, end) windows of each pause
    if not starts.size:
        return None
    longest = len(starts) - 1 - int((ends - starts)[::-1].argmax())
    if (ends[longest] - starts[longest]) * WINDOW_SECONDS < CUT_PAUSE_SECONDS:
        return None
    if ends[longest] == len(speech):
        return samples
    return (starts[longest] + ends[longest]) // 2 * WINDOW_SAMPLES


def _quietest_cut(samples: np.ndarray) -> int:
    """The end of the latest quietest 100 ms frame of `samples`."""
    frame = int(CUT_FRAME_SECONDS * SAMPLE_RATE)
    loudness = frame_rms(samples, frame)
    return (len(loudness) - int(loudness[::-1].argmin())) * frame


class TransposedProjection(torch.nn.Module):
    """Whisper's output projection (decoder state -> vocabulary logits) with its weight stored transposed.
    Each decoding step multiplies one state by the vocabulary × width matrix (80 MB for tiny.en); on CPU
    that product is 2-3× faster with the matrix laid out width × vocabulary (4.6 vs 10-15 ms a step here),
    and it was a third of a live decode's time."""

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        self.register_buffer("weight_t", weight.detach().t().contiguous())

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden @ self.weight_t


class SuppressAtFirstStep:
    """A transformers logits processor: `mask`ed tokens (openai/whisper's begin-suppressed ones: a blank and
    <|endoftext|>) are -inf at the first generated step. transformers' own builds its mask with torch.isin over
    the vocabulary at every step (5 ms a step on this CPU, as much as an int8 decoder step); this one builds it
    once. The first step is the first call: the prompt's length is not known before."""

    def __init__(self, mask: torch.Tensor):
        self.mask = mask  # [vocabulary] bool
        self.first_length: int | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.first_length is None:
            self.first_length = input_ids.shape[1]
        if input_ids.shape[1] != self.first_length:
            return scores
        return scores.masked_fill(self.mask, -float("inf"))


def int8_linear_layers(model: torch.nn.Module) -> torch.nn.Module:
    """The CPU model with every torch.nn.Linear (the output projection included) quantised to int8, in place."""
    import warnings

    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao, not installed here
        warnings.simplefilter("ignore", (DeprecationWarning, UserWarning))
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def keep_encoder_attention(model: WhisperForConditionalGeneration) -> None:
    """Give the encoder's attention layers a config of their own, so that they keep the attention they were loaded
    with. transformers' generate switches the model's config to eager attention for good when word timestamps are
    asked for (the decoder's cross-attention weights must come back); the encoder returns none, and eager made it
    1.75x slower on the bench clips. The text model is shared by the window batcher and every live stream, so
    switching it back after each call, as before, raced with the other threads' decodes."""
    config = copy.copy(model.config)
    for layer in model.get_encoder().layers:
        layer.self_attn.config = config


def is_multilingual(generation: GenerationConfig) -> bool:
    """Whether a Whisper model's generation config has languages to choose from (else it is English-only)."""
    return bool(getattr(generation, "is_multilingual", False) and getattr(generation, "lang_to_id", None))


class SpeechRecognizer:
    """A Whisper model with its processor; `transcribe` takes float32 mono 16 kHz samples. `text_model`: the model
    `transcribe` decodes with, files and live buffers (the int8 copy `load_speech_model` makes on CPU); `model`, the
    float one, where attention is read (AlignAtt, the attention views) and where no copy is given."""

    def __init__(self, model: WhisperForConditionalGeneration, processor: WhisperProcessor,
                 text_model: WhisperForConditionalGeneration | None = None):
        if model.device.type == "cpu" and isinstance(model.proj_out, torch.nn.Linear):
            model.proj_out = TransposedProjection(model.proj_out.weight)
        self.model = model
        self.text_model = text_model or model
        if text_model is not None:
            keep_encoder_attention(text_model)
        self.processor = processor
        self.tokenizer = processor.tokenizer
        generation = model.generation_config
        self.multilingual = is_multilingual(generation)
        self.languages = [token.strip("<|>") for token in generation.lang_to_id] if self.multilingual else ["en"]
        self.end_of_text = self.tokenizer.convert_tokens_to_ids("<|endoftext|>")  # special tokens start here
        no_timestamps = getattr(generation, "no_timestamps_token_id", None)
        # Models saved without timestamp settings still work, with one segment per window.
        self.timestamp_begin = no_timestamps + 1 if no_timestamps is not None else None
        # What transformers' suppress processors do, with their masks made once (see SuppressAtFirstStep). The
        # suppressed tokens go in as a sequence bias, which generate applies before Whisper's timestamp rules, where
        # openai/whisper and transformers' own processor suppress them.
        self.suppressed_bias = {(token,): -float("inf") for token in generation.suppress_tokens or []}
        begin = torch.zeros(model.config.vocab_size, dtype=torch.bool)
        begin[list(generation.begin_suppress_tokens or [])] = True
        self.suppressed_at_first_step = begin.to(model.device)

    @property
    def precision(self) -> str:
        """How the text model's linear layers run, one of PRECISIONS."""
        return "float" if self.text_model is self.model else "int8"

    @property
    def device(self) -> torch.device:
        return self.model.device

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None = None,
        task: str = "transcribe",
        progress: Progress | None = None,
        prompt: str | None = None,
        word_timestamps: bool = False,
        fit_window_to_audio: bool = False,
        stop: Callable[[], bool] | None = None,
        script: str = DEFAULT_SCRIPT,
    ) -> Transcript:
        """`prompt`: text said before this audio (live transcription passes what it has committed).

        `stop`: asked after each token; when it says True, decoding ends there (live transcription
        abandons a decode that newer audio has made stale).

        `script`: the characters Chinese comes out in, "simplified" or "traditional" (Whisper mixes them).

        `fit_window_to_audio`: the encoder reads the audio plus a 5 s margin instead of the full 30 s
        window it was trained on (whisper.cpp's `audio_ctx`): several times faster on the short buffers
        of live transcription, at a small cost in accuracy."""
        check_speech(audio)
        check_script(script)
        language = self.check_options(language, task)
        prompt_ids = self._prompt_ids(prompt) if prompt else None
        started = time.perf_counter()
        bounds = _window_bounds(audio)
        segments, tokens, words, text_ids = [], [], [], []
        for index, (start, end) in enumerate(bounds):
            features = self.features(audio[start:end])
            if language is None:
                language = self.detect_language(features)
            seconds = (end - start) / SAMPLE_RATE
            encoder_seconds = min(seconds + FITTED_WINDOW_MARGIN_SECONDS, N_SAMPLES / SAMPLE_RATE) if fit_window_to_audio else None
            window = Window(features, seconds, language, task, word_timestamps)
            if prompt_ids is None and encoder_seconds is None and stop is None:  # a whole window of a file
                decoded = self.window_batcher(window)
            else:  # live transcription's (LocalAgreement): prompted, fitted or stoppable, decoded alone
                decoded = self._generate([window], prompt_ids, encoder_seconds, stop, self.text_model)[0]
            generated, scores, times = decoded.generated, decoded.scores, decoded.times
            segments += self._segments(generated, start / SAMPLE_RATE, seconds)
            probabilities = scores.softmax(dim=-1)
            tokens += self._token_infos(generated, probabilities)
            if times is not None:
                words += self._words(generated, probabilities, times, start / SAMPLE_RATE, seconds)
            text_ids += [token_id for token_id in generated if self._is_text(token_id)]
            if progress is not None:
                progress((index + 1) / len(bounds),
                         Phrase("speech.transcribed", seconds=end / SAMPLE_RATE, total=len(audio) / SAMPLE_RATE))
        transcript = Transcript(
            text=self.tokenizer.decode(text_ids).strip(),
            language=language,
            segments=segments,
            tokens=tokens,
            audio_seconds=len(audio) / SAMPLE_RATE,
            decode_seconds=time.perf_counter() - started,
            words=words,
        )
        return in_chosen_script(transcript, script)

    @property
    def window_batcher(self) -> Batcher:
        """Whole windows of files, decoded with the same options, that arrive together run as one `_generate` of the
        text model, at a slow model's priority (a window is seconds of CPU: classifications and translations go
        first)."""
        return batcher_of(self, "windows", lambda windows: self._generate(windows, model=self.text_model),
                          key=lambda window: window.options, niceness=SLOW_MODEL_NICENESS)

    def check_options(self, language: str | None, task: str) -> str | None:
        """InputError for a language or task this model lacks; else the language code, None to detect it."""
        if task not in TASKS:
            raise InputError.of("speech.unknown_task", task=task)
        if not self.multilingual:
            if task == "translate":
                raise InputError.of("speech.english_only_translate")
            if language not in (None, "en"):
                raise InputError.of("speech.english_only_language", language=language)
            return "en"
        if language is None:
            return None
        language = language.lower()
        if language not in self.languages:
            raise InputError.of("speech.unknown_language", language=language, known=", ".join(self.languages))
        return language

    def log_mel(self, samples: np.ndarray) -> np.ndarray:
        """The log-mel spectrogram the encoder reads, [mel bins, frames], trimmed to the audio (no 30 s padding)."""
        frames = max(1, min(N_SAMPLES, len(samples)) // HOP_LENGTH)
        return self.features(samples[:N_SAMPLES])[0, :, :frames].float().cpu().numpy()

    def features(self, samples: np.ndarray) -> torch.Tensor:
        features = self.processor.feature_extractor(samples, sampling_rate=SAMPLE_RATE, return_tensors="pt")
        return features.input_features.to(self.device, self.model.dtype)

    def detect_language(self, features: torch.Tensor) -> str:
        language_id = int(self.model.detect_language(features)[0])
        return self.tokenizer.convert_ids_to_tokens(language_id).strip("<|>")

    def _prompt_ids(self, prompt: str) -> torch.Tensor:
        """<|startofprev|> and the prompt's last tokens: openai/whisper keeps at most half the context."""
        text_ids = self.tokenizer.encode(" " + prompt.strip(), add_special_tokens=False)
        text_ids = text_ids[-(self.model.config.max_target_positions // 2 - 1) :]
        start_of_previous = self.tokenizer.convert_tokens_to_ids("<|startofprev|>")
        return torch.tensor([start_of_previous, *text_ids], device=self.device)

    def encode(self, features: torch.Tensor, seconds: float, model: WhisperForConditionalGeneration | None = None
               ) -> BaseModelOutput:
        """WhisperEncoder.forward on the first `seconds` of the window only (it insists on all 30 s)."""
        with IMPORT_LOCK:
            from transformers.modeling_outputs import BaseModelOutput

        encoder = (model or self.model).get_encoder()
        frames = 2 * int(np.ceil(seconds * ENCODER_FRAMES_PER_SECOND))
        with torch.no_grad():
            hidden = torch.nn.functional.gelu(encoder.conv1(features[..., :frames]))
            hidden = torch.nn.functional.gelu(encoder.conv2(hidden)).permute(0, 2, 1)
            hidden = hidden + encoder.embed_positions.weight[: hidden.shape[1]]
            for layer in encoder.layers:
                hidden = layer(hidden, None)
            return BaseModelOutput(last_hidden_state=encoder.layer_norm(hidden))

    def encode_windows(self, features: torch.Tensor, model: WhisperForConditionalGeneration | None = None
                       ) -> BaseModelOutput:
        """The encoder's output [windows, 1500, width] for features [windows, mel bins, 3000], one window at a time,
        by `model` (default: the float one)."""
        with IMPORT_LOCK:
            from transformers.modeling_outputs import BaseModelOutput

        encoder = (model or self.model).get_encoder()
        with torch.no_grad():
            return BaseModelOutput(last_hidden_state=torch.cat([encoder(window[None]).last_hidden_state
                                                                for window in features]))

    def _generate(self, windows: list[Window], prompt_ids: torch.Tensor | None = None,
                  encoder_seconds: float | None = None, stop: Callable[[], bool] | None = None,
                  model: WhisperForConditionalGeneration | None = None) -> list[Decoded]:
        """Greedy decoding of windows that share their options, as one batched `generate`: one decoder step for every
        row at a time. Each row stops on its own (</s>, a loop, its own token cap) and is cut there, so each window
        gets what it would have got alone. Each window is encoded alone: the encoder is compute-bound, so a batch
        gains nothing there, and its eager attention, which word timestamps need, holds [windows, heads, 1500,
        1500] per layer (1.7 GB for 8 windows of tiny.en). `model`: the float one unless given (the text model)."""
        model = model or self.model
        if model is not self.model and len(windows) > 1:
            # int8 scales each call's activations by their largest value, and rounds a batch's tiny float differences
            # (its attention sums in another order) into other word times, even tokens: each window decodes alone
            return [self._generate([window], prompt_ids, encoder_seconds, stop, model)[0] for window in windows]
        with IMPORT_LOCK:
            from transformers import LogitsProcessorList, StoppingCriteriaList

        language, task, word_timestamps = windows[0].options
        prompt_length = MAX_PROMPT_TOKENS + (len(prompt_ids) if prompt_ids is not None else 0)
        max_lengths = [min(min(MAX_TOKENS_PER_WINDOW, int(MAX_TOKENS_PER_SECOND * window.seconds) + 16)
                           + prompt_length, self.model.config.max_target_positions) for window in windows]
        options = dict(language=language, task=task) if self.multilingual else {}
        if prompt_ids is not None:
            options["prompt_ids"] = prompt_ids
        features = torch.cat([window.features for window in windows])
        if encoder_seconds is None:
            options["encoder_outputs"] = self.encode_windows(features, model)
        else:
            options["encoder_outputs"] = self.encode(features, encoder_seconds, model)
        loops = StopOnLoop(self._is_text)
        output = model.generate(
            **options,
            return_timestamps=self.timestamp_begin is not None,
            return_token_timestamps=word_timestamps,
            force_unique_generate_call=True,
            return_dict_in_generate=True,
            output_scores=True,
            max_length=max(max_lengths),
            stopping_criteria=StoppingCriteriaList([loops] + ([StopWhen(stop)] if stop else [])),
            suppress_tokens=None,
            begin_suppress_tokens=None,
            sequence_bias=self.suppressed_bias or None,
            logits_processor=LogitsProcessorList([SuppressAtFirstStep(self.suppressed_at_first_step)]),
        )
        steps = len(output["scores"])  # a dict, not a ModelOutput, when token timestamps are asked for
        start = output["sequences"].shape[1] - steps  # the prompt's length
        decoded = []
        for row, max_length in enumerate(max_lengths):
            generated = output["sequences"][row, start:].tolist()
            end = generated.index(self.end_of_text) + 1 if self.end_of_text in generated else steps
            length = min(end, loops.stopped.get(row, steps), max_length - start)
            generated = generated[:length]
            scores = torch.stack([step[row] for step in output["scores"][:length]]).float()
            times = self._token_times(output, row, start, length) if word_timestamps else None
            kept = self._without_loop(generated)
            decoded.append(Decoded(generated[:kept], scores[:kept], times[:kept] if times else times))
        return decoded

    def _token_times(self, output: dict, row: int, prompt_length: int, length: int) -> list[float]:
        """The start (s) of each of a row's first `length` generated tokens, from that row's cross-attention alone
        (transformers' alignment-head DTW; the batch's, normalised over every row's length, would differ)."""
        with IMPORT_LOCK:
            from transformers.generation import GenerateEncoderDecoderOutput

        alone = GenerateEncoderDecoderOutput(
            sequences=output["sequences"][row:row + 1, :prompt_length + length],
            cross_attentions=tuple(tuple(layer[row:row + 1] for layer in step)
                                   for step in output["cross_attentions"][:length]))
        times = self.model._extract_token_timestamps(alone, self.model.generation_config.alignment_heads,
                                                     num_input_ids=prompt_length)
        return times[0, -length:].tolist()

    def _without_loop(self, generated: list[int]) -> int:
        """How many generated tokens to keep: all but the repeated copies when the text ends in a loop."""
        text_steps = [step for step, token_id in enumerate(generated) if self._is_text(token_id)]
        start = loop_start([generated[step] for step in text_steps])
        return len(generated) if start is None else text_steps[start]

    def _is_timestamp(self, token_id: int) -> bool:
        return self.timestamp_begin is not None and token_id >= self.timestamp_begin

    def _is_text(self, token_id: int) -> bool:
        return token_id < self.end_of_text

    def _token_text(self, token_id: int) -> str:
        if self._is_timestamp(token_id):
            return f"<|{(token_id - self.timestamp_begin) * TIME_PER_TIMESTAMP:.2f}|>"
        return self.tokenizer.decode([token_id])

    def _segments(self, generated: list[int], offset: float, seconds: float) -> list[Segment]:
        """Text between timestamp tokens becomes a segment; text without timestamps spans the window."""
        segments, text_ids, start = [], [], 0.0

        def close(end: float) -> None:
            text = self.tokenizer.decode(text_ids).strip()
            if text:
                segments.append(Segment(round(offset + start, 2), round(offset + end, 2), text))
            text_ids.clear()

        for token_id in generated:
            if self._is_timestamp(token_id):
                time_in_window = min((token_id - self.timestamp_begin) * TIME_PER_TIMESTAMP, seconds)
                if text_ids:
                    close(time_in_window)
                start = time_in_window
            elif self._is_text(token_id):
                text_ids.append(token_id)
        if text_ids:
            close(seconds)
        return segments

    def _words(self, generated: list[int], probabilities: torch.Tensor, times: list[float], offset: float,
               seconds: float) -> list[Word]:
        """Text tokens grouped into words (a token starting with a space starts one); a word lasts from its
        first token's time to the next token's. Before a timestamp or the end, that next time is smeared over
        the following silence, so such words are cut at twice the median word length, as openai/whisper does."""
        words: list[Word] = []
        token_probabilities: list[float] = []
        open_ended = set()
        for step, token_id in enumerate(generated):
            if not self._is_text(token_id):
                continue
            text = self.tokenizer.decode([token_id])
            next_is_text = step + 1 < len(generated) and self._is_text(generated[step + 1])
            end = times[step + 1] if step + 1 < len(times) else seconds
            if not words or text.startswith(" "):
                words.append(Word(text.strip(), times[step], end, 0.0))
                token_probabilities = []
            else:
                words[-1].text += text
                words[-1].end = end
            if next_is_text:
                open_ended.discard(len(words) - 1)
            else:
                open_ended.add(len(words) - 1)
            token_probabilities.append(float(probabilities[step, token_id]))
            words[-1].probability = sum(token_probabilities) / len(token_probabilities)
        durations = [word.end - word.start for index, word in enumerate(words) if index not in open_ended]
        longest = 2 * min(0.7, float(np.median(durations))) if durations else 1.4
        for index, word in enumerate(words):
            if index in open_ended:
                word.end = min(word.end, word.start + longest)
            word.start, word.end = round(offset + word.start, 2), round(offset + min(word.end, seconds), 2)
        return [word for word in words if word.text]

    def _token_infos(self, generated: list[int], probabilities: torch.Tensor) -> list[TokenInfo]:
        top_probabilities, top_ids = probabilities.topk(TOP_ALTERNATIVES, dim=-1)
        infos = []
        for step, token_id in enumerate(generated):
            if not self._is_text(token_id):
                continue
            alternatives = [
                (self._token_text(candidate), float(probability))
                for candidate, probability in zip(top_ids[step].tolist(), top_probabilities[step].tolist())
            ]
            infos.append(TokenInfo(self._token_text(token_id), float(probabilities[step, token_id]), alternatives))
        return infos


def load_speech_model(source: str, device: torch.device, dtype: torch.dtype = torch.float32,
                      precision: str = CPU_PRECISION) -> SpeechRecognizer:
    """"package:tiny.en" / "package:base" (offline, from pip packages), or a Hugging Face id / local folder.
    `precision` (one of PRECISIONS): how the linear layers of an English-only model run on CPU; on CUDA, and for a
    multilingual model, they keep `dtype`."""
    if precision not in PRECISIONS:  # before the model loads
        raise ValueError(f"precision {precision!r}: one of {PRECISIONS}")
    with IMPORT_LOCK:
        from transformers import WhisperForConditionalGeneration, WhisperProcessor

        from models.speech.whisper_ct2 import load_packaged_whisper

    if source.startswith("package:"):
        model, processor = load_packaged_whisper(source.removeprefix("package:"), device, dtype)
    else:
        try:
            model = WhisperForConditionalGeneration.from_pretrained(source, dtype=dtype).to(device).eval()
            processor = WhisperProcessor.from_pretrained(source)
        except OSError as error:
            raise ModelUnavailable.of("model.whisper_load_failed", source=source, error=error) from error
    return recognizer_of(model, processor, precision)


def recognizer_of(model: WhisperForConditionalGeneration, processor: WhisperProcessor,
                  precision: str = CPU_PRECISION) -> SpeechRecognizer:
    """A loaded Whisper as a SpeechRecognizer, with the int8 text model where `precision` and PRECISIONS say so:
    packaged, hub and fine-tuned models alike."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: one of {PRECISIONS}")
    if precision == "int8" and model.device.type == "cpu" and not is_multilingual(model.generation_config):
        return SpeechRecognizer(model, processor, text_model=int8_linear_layers(copy.deepcopy(model)))
    return SpeechRecognizer(model, processor)
