"""Speech recognition with Whisper: transcripts with segment times and per-token probabilities."""
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from transformers import WhisperForConditionalGeneration, WhisperProcessor

from models.audio import HOP_LENGTH, N_SAMPLES, SAMPLE_RATE, TIME_PER_TIMESTAMP, check_speech
from models.errors import InputError, ModelUnavailable
from models.whisper_ct2 import load_packaged_whisper

TASKS = ("transcribe", "translate")
TOP_ALTERNATIVES = 5
# openai/whisper stops a window after 224 tokens; the per-second cap also ends runaway repetition
# ("the one who will be the one who ...") early on short clips.
MAX_TOKENS_PER_WINDOW = 224
MAX_TOKENS_PER_SECOND = 16
MAX_PROMPT_TOKENS = 4  # <|startoftranscript|> <|lang|> <|task|> <|notimestamps|>
# Long audio is cut at the quietest moment of a window's last seconds, not in mid-word.
CUT_SEARCH_SECONDS = 5


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
class Transcript:
    text: str
    language: str
    segments: list[Segment]
    tokens: list[TokenInfo]
    audio_seconds: float
    decode_seconds: float


Progress = Callable[[float, str], object]


def _window_bounds(samples: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) sample indices of windows of at most 30 s covering the audio."""
    frame = SAMPLE_RATE // 10
    bounds, start = [], 0
    while len(samples) - start > N_SAMPLES:
        search_start = start + N_SAMPLES - CUT_SEARCH_SECONDS * SAMPLE_RATE
        tail = samples[search_start : start + N_SAMPLES]
        frame_energy = np.square(tail[: len(tail) // frame * frame].reshape(-1, frame)).mean(axis=1)
        latest_quietest = len(frame_energy) - 1 - int(frame_energy[::-1].argmin())
        end = search_start + (latest_quietest + 1) * frame
        bounds.append((start, end))
        start = end
    bounds.append((start, len(samples)))
    return bounds


class SpeechRecognizer:
    """A Whisper model with its processor; `transcribe` takes float32 mono 16 kHz samples."""

    def __init__(self, model: WhisperForConditionalGeneration, processor: WhisperProcessor):
        self.model = model
        self.processor = processor
        self.tokenizer = processor.tokenizer
        generation = model.generation_config
        self.multilingual = bool(getattr(generation, "is_multilingual", False) and getattr(generation, "lang_to_id", None))
        self.languages = [token.strip("<|>") for token in generation.lang_to_id] if self.multilingual else ["en"]
        self.end_of_text = self.tokenizer.convert_tokens_to_ids("<|endoftext|>")  # special tokens start here
        no_timestamps = getattr(generation, "no_timestamps_token_id", None)
        # Models saved without timestamp settings still work, with one segment per window.
        self.timestamp_begin = no_timestamps + 1 if no_timestamps is not None else None

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
    ) -> Transcript:
        """`prompt`: text said before this audio (live transcription passes what it has committed)."""
        check_speech(audio)
        language = self.check_options(language, task)
        prompt_ids = self._prompt_ids(prompt) if prompt else None
        started = time.perf_counter()
        bounds = _window_bounds(audio)
        segments, tokens, text_ids = [], [], []
        for index, (start, end) in enumerate(bounds):
            features = self._features(audio[start:end])
            if language is None:
                language = self._detect_language(features)
            generated, scores = self._generate(features, (end - start) / SAMPLE_RATE, language, task, prompt_ids)
            segments += self._segments(generated, start / SAMPLE_RATE, (end - start) / SAMPLE_RATE)
            tokens += self._token_infos(generated, scores)
            text_ids += [token_id for token_id in generated if self._is_text(token_id)]
            if progress is not None:
                progress((index + 1) / len(bounds), f"Transcribed {end / SAMPLE_RATE:.0f} of {len(audio) / SAMPLE_RATE:.0f} s")
        return Transcript(
            text=self.tokenizer.decode(text_ids).strip(),
            language=language,
            segments=segments,
            tokens=tokens,
            audio_seconds=len(audio) / SAMPLE_RATE,
            decode_seconds=time.perf_counter() - started,
        )

    def check_options(self, language: str | None, task: str) -> str | None:
        """InputError for a language or task this model lacks; else the language code, None to detect it."""
        if task not in TASKS:
            raise InputError(f"Unknown task '{task}': choose 'transcribe' or 'translate'.")
        if not self.multilingual:
            if task == "translate":
                raise InputError("This model knows English only and cannot translate: choose a multilingual model.")
            if language not in (None, "en"):
                raise InputError(f"This model knows English only, not '{language}': choose a multilingual model.")
            return "en"
        if language is None:
            return None
        language = language.lower()
        if language not in self.languages:
            raise InputError(f"The model does not know the language '{language}'. Known: {', '.join(self.languages)}.")
        return language

    def log_mel(self, samples: np.ndarray) -> np.ndarray:
        """The log-mel spectrogram the encoder reads, [mel bins, frames], trimmed to the audio (no 30 s padding)."""
        frames = max(1, min(N_SAMPLES, len(samples)) // HOP_LENGTH)
        return self._features(samples[:N_SAMPLES])[0, :, :frames].float().cpu().numpy()

    def _features(self, samples: np.ndarray) -> torch.Tensor:
        features = self.processor.feature_extractor(samples, sampling_rate=SAMPLE_RATE, return_tensors="pt")
        return features.input_features.to(self.device, self.model.dtype)

    def _detect_language(self, features: torch.Tensor) -> str:
        language_id = int(self.model.detect_language(features)[0])
        return self.tokenizer.convert_ids_to_tokens(language_id).strip("<|>")

    def _prompt_ids(self, prompt: str) -> torch.Tensor:
        """<|startofprev|> and the prompt's last tokens: openai/whisper keeps at most half the context."""
        text_ids = self.tokenizer.encode(" " + prompt.strip(), add_special_tokens=False)
        text_ids = text_ids[-(self.model.config.max_target_positions // 2 - 1) :]
        start_of_previous = self.tokenizer.convert_tokens_to_ids("<|startofprev|>")
        return torch.tensor([start_of_previous, *text_ids], device=self.device)

    def _generate(
        self, features: torch.Tensor, seconds: float, language: str, task: str, prompt_ids: torch.Tensor | None
    ) -> tuple[list[int], torch.Tensor]:
        """Greedy decoding of one window: the generated ids and the decoder's scores at each step."""
        max_new_tokens = min(MAX_TOKENS_PER_WINDOW, int(MAX_TOKENS_PER_SECOND * seconds) + 16)
        prompt_length = MAX_PROMPT_TOKENS + (len(prompt_ids) if prompt_ids is not None else 0)
        max_length = min(max_new_tokens + prompt_length, self.model.config.max_target_positions)
        options = dict(language=language, task=task) if self.multilingual else {}
        if prompt_ids is not None:
            options["prompt_ids"] = prompt_ids
        output = self.model.generate(
            features,
            **options,
            return_timestamps=self.timestamp_begin is not None,
            force_unique_generate_call=True,
            return_dict_in_generate=True,
            output_scores=True,
            max_length=max_length,
        )
        generated = output.sequences[0, -len(output.scores) :].tolist()
        return generated, torch.stack(output.scores)[:, 0].float()

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

    def _token_infos(self, generated: list[int], scores: torch.Tensor) -> list[TokenInfo]:
        probabilities = scores.softmax(dim=-1)
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


def load_speech_model(source: str, device: torch.device, dtype: torch.dtype = torch.float32) -> SpeechRecognizer:
    """"package:tiny.en" / "package:base" (offline, from pip packages), or a Hugging Face id / local folder."""
    if source.startswith("package:"):
        model, processor = load_packaged_whisper(source.removeprefix("package:"), device, dtype)
        return SpeechRecognizer(model, processor)
    try:
        model = WhisperForConditionalGeneration.from_pretrained(source, dtype=dtype)
        processor = WhisperProcessor.from_pretrained(source)
    except OSError as error:
        raise ModelUnavailable(f"Could not load the Whisper model '{source}': {error}") from error
    return SpeechRecognizer(model.to(device).eval(), processor)
