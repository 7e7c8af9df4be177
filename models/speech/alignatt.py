"""AlignAtt decoding: Whisper writes a token only while it is looking at audio it has heard.

AlignAtt (Papi et al., 2023, "AlignAtt: Using Attention-based Audio-Translation Alignments as a Guide
for Simultaneous Speech Translation"; applied to Whisper by Macháček et al., 2025, SimulStreaming):
at every decoding step, the alignment heads' cross-attention says which audio frame the next token
comes from. If that frame lies within `frontier_frames` of the end of the audio received so far, the
token may belong to a word still being spoken: decoding stops there, and the token is not written.
When more audio arrives, decoding continues after the tokens already written, which never change.

Written here from the papers (SimulStreaming's code is under a non-commercial licence) as a plain
greedy loop over transformers' Whisper modules: `generate` exposes neither the alignment heads'
attention per step nor a stop on it. The attention of the alignment heads is recomputed from the
cross-attention's own query and key projections (hooked), so it is the model's attention whatever
attention implementation runs.

Several streams' decodes run as one batch (`decode_batch`): their encoder windows are rounded up to
the same `WINDOW_BUCKET_SECONDS`, their token prefixes are left-padded with a mask and their own
positions, so each stream gets the tokens it would get alone.
"""
import functools
import math
import threading
from dataclasses import dataclass, field

import numpy as np
import torch

from models.speech.audio import N_SAMPLES, SAMPLE_RATE
from models.speech.recognizer import (
    ENCODER_FRAMES_PER_SECOND,
    FITTED_WINDOW_MARGIN_SECONDS,
    MAX_TOKENS_PER_SECOND,
    MAX_TOKENS_PER_WINDOW,
    SpeechRecognizer,
    loop_start,
)

FRONTIER_FRAMES = 25  # 0.5 s of encoder frames: a token attending this close to the end waits for more audio
WINDOW_BUCKET_SECONDS = 2.5  # encoder windows are whole multiples of this, so streams can share a batch
MAX_WINDOW_SECONDS = N_SAMPLES / SAMPLE_RATE
NO_SPEECH_PROBABILITY = 0.6  # Whisper's own "no speech" token this likely at the start: the audio has no words
ATTENTION_FRAMES_KEPT = 1500  # every encoder frame of a 30 s window


@dataclass(frozen=True)
class DecodeRequest:
    audio: np.ndarray  # [samples] float32 mono 16 kHz: the buffer
    written: tuple[int, ...] = ()  # tokens already written for this buffer: forced, then decoding continues
    prompt: tuple[int, ...] = ()  # text tokens said before the buffer (<|startofprev|> context)
    language: str | None = "en"
    task: str = "transcribe"
    frontier_frames: int | None = FRONTIER_FRAMES  # None: the audio is complete, decode to the end


@dataclass
class DecodeResult:
    tokens: list[int]  # newly written text tokens
    frames: list[int]  # for each, the encoder frame (20 ms) the alignment heads attended most
    stopped: str  # "frontier", "end", "loop", "limit" or "no speech"
    attention: np.ndarray = field(repr=False)  # [new tokens + 1 held back, audio frames]: alignment heads' mean
    audio_frames: int = 0  # encoder frames that hold the buffer's audio
    language: str = "en"  # the request's, or the one Whisper detected
    held_back: int | None = None  # the token the frontier stopped (not written), if it did


def window_seconds(audio_seconds: float) -> float:
    """The fitted encoder window for a buffer: audio plus margin, rounded up to a bucket, at most 30 s."""
    fitted = audio_seconds + FITTED_WINDOW_MARGIN_SECONDS
    return min(MAX_WINDOW_SECONDS, math.ceil(fitted / WINDOW_BUCKET_SECONDS) * WINDOW_BUCKET_SECONDS)


class AlignAttDecoder:
    """Greedy decoding of buffers with the AlignAtt stop, one request or a batch of them."""

    def __init__(self, recognizer: SpeechRecognizer):
        self.recognizer = recognizer
        model = recognizer.model
        self.model, self.tokenizer = model, recognizer.tokenizer
        self.decoder = model.model.decoder
        generation = model.generation_config
        self.alignment_heads = [(int(layer), int(head)) for layer, head in generation.alignment_heads]
        self.start_of_transcript = generation.decoder_start_token_id
        self.no_timestamps = generation.no_timestamps_token_id
        self.start_of_previous = self.tokenizer.convert_tokens_to_ids("<|startofprev|>")
        self.no_speech = self.tokenizer.convert_tokens_to_ids("<|nocaptions|>")
        self.end_of_text = recognizer.end_of_text
        vocabulary = model.config.vocab_size
        suppressed = torch.zeros(vocabulary, dtype=torch.bool)
        suppressed[list(generation.suppress_tokens or [])] = True
        suppressed[self.end_of_text + 1:] = True  # special and timestamp tokens: text and <|endoftext|> only
        self.suppressed = suppressed.to(model.device)
        begin = torch.zeros(vocabulary, dtype=torch.bool)
        begin[list(generation.begin_suppress_tokens or [])] = True
        self.suppressed_at_begin = (suppressed | begin).to(model.device)

    def decode(self, request: DecodeRequest) -> DecodeResult:
        return self.decode_batch([request])[0]

    def start_tokens(self, request: DecodeRequest, language: str) -> list[int]:
        """[<|startofprev|> prompt…] <|startoftranscript|> [<|lang|> <|task|>] <|notimestamps|> written…"""
        prompt = list(request.prompt)[-(self.model.config.max_target_positions // 2 - 1):]
        context = [self.start_of_previous, *prompt] if prompt else []
        task = []
        if self.recognizer.multilingual:
            task = [self.tokenizer.convert_tokens_to_ids(f"<|{language}|>"),
                    self.tokenizer.convert_tokens_to_ids(f"<|{request.task}|>")]
        return [*context, self.start_of_transcript, *task, self.no_timestamps, *request.written]

    @torch.inference_mode()
    def decode_batch(self, requests: list[DecodeRequest]) -> list[DecodeResult]:
        """Requests whose windows share a bucket run as one batch; the results come back in request order."""
        groups: dict[float, list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(window_seconds(len(request.audio) / SAMPLE_RATE), []).append(index)
        results: list[DecodeResult | None] = [None] * len(requests)
        for seconds, indices in groups.items():
            for index, result in zip(indices, self._decode_group([requests[i] for i in indices], seconds)):
                results[index] = result
        return results

    def _decode_group(self, requests: list[DecodeRequest], seconds: float) -> list[DecodeResult]:
        recognizer, device = self.recognizer, self.model.device
        features = torch.cat([recognizer.features(request.audio) for request in requests])
        encoded = recognizer.encode(features, seconds).last_hidden_state  # [batch, frames, width]
        languages = [request.language or recognizer.detect_language(features[row:row + 1])
                     for row, request in enumerate(requests)]
        starts = [self.start_tokens(request, language) for request, language in zip(requests, languages)]
        audio_frames = [min(encoded.shape[1], int(len(r.audio) / SAMPLE_RATE * ENCODER_FRAMES_PER_SECOND))
                        for r in requests]
        longest = max(map(len, starts))
        batch = len(requests)
        # Left padding: every row's newest token is in the last column; masks and positions skip the padding.
        ids = torch.full((batch, longest), self.end_of_text, dtype=torch.long)
        mask = torch.zeros((batch, longest), dtype=torch.long)
        for row, tokens in enumerate(starts):
            ids[row, longest - len(tokens):] = torch.tensor(tokens)
            mask[row, longest - len(tokens):] = 1
        ids, mask = ids.to(device), mask.to(device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        transcript_start = [longest - len(tokens) + tokens.index(self.start_of_transcript) for tokens in starts]

        layers = sorted({layer for layer, _ in self.alignment_heads})
        keys = {layer: self.decoder.layers[layer].encoder_attn.k_proj(encoded) for layer in layers}
        queries: dict[int, torch.Tensor] = {}
        # The modules are shared: another thread's decode runs them meanwhile (models/speech/shared_decoder.py),
        # and a hook hears every call, so it keeps only this thread's.
        this_thread = threading.get_ident()

        def keep_query(module, inputs, output, layer: int) -> None:
            if threading.get_ident() == this_thread:
                queries[layer] = output

        hooks = [self.decoder.layers[layer].encoder_attn.q_proj.register_forward_hook(
            functools.partial(keep_query, layer=layer)) for layer in layers]
        max_new = [min(MAX_TOKENS_PER_WINDOW, int(MAX_TOKENS_PER_SECOND * len(r.audio) / SAMPLE_RATE) + 16)
                   for r in requests]
        new_tokens: list[list[int]] = [[] for _ in requests]
        frames: list[list[int]] = [[] for _ in requests]
        attention_rows: list[list[np.ndarray]] = [[] for _ in requests]
        stopped: list[str | None] = [None] * batch
        held_back: list[int | None] = [None] * batch
        cache = None
        try:
            step_ids, step_positions = ids, positions
            for step in range(max(max_new) + 1):
                output = self.decoder(input_ids=step_ids, attention_mask=mask, position_ids=step_positions,
                                      encoder_hidden_states=encoded, cache=cache, use_cache=True)
                cache = output.past_key_values
                hidden = output.last_hidden_state
                logits = self.model.proj_out(hidden[:, -1]).float()
                if step == 0:
                    no_speech = self._no_speech_probabilities(hidden, transcript_start)
                attention = self._alignment_attention(queries, keys)  # [batch, frames]
                chosen = []
                for row, request in enumerate(requests):
                    if stopped[row] is not None:
                        chosen.append(self.end_of_text)
                        continue
                    first = not request.written and not new_tokens[row]
                    if step == 0 and first and no_speech[row] >= NO_SPEECH_PROBABILITY:
                        stopped[row] = "no speech"
                        chosen.append(self.end_of_text)
                        continue
                    blocked = self.suppressed_at_begin if first else self.suppressed
                    token = int(logits[row].masked_fill(blocked, -math.inf).argmax())
                    row_attention = attention[row, :audio_frames[row]]
                    frame = int(row_attention.argmax()) if row_attention.numel() else 0
                    attention_rows[row].append(row_attention.cpu().numpy())
                    frontier = request.frontier_frames
                    if token == self.end_of_text:
                        stopped[row] = "end"
                    elif frontier is not None and (frame >= audio_frames[row] - frontier
                                                   or int(attention[row].argmax()) >= audio_frames[row]):
                        stopped[row], held_back[row] = "frontier", token
                    else:
                        new_tokens[row].append(token)
                        frames[row].append(frame)
                        if (start := loop_start(list(request.written) + new_tokens[row])) is not None:
                            kept = max(0, start - len(request.written))
                            new_tokens[row], frames[row] = new_tokens[row][:kept], frames[row][:kept]
                            stopped[row] = "loop"
                        elif len(new_tokens[row]) >= max_new[row]:
                            stopped[row] = "limit"
                    chosen.append(token)
                if all(reason is not None for reason in stopped):
                    break
                step_ids = torch.tensor(chosen, device=device).unsqueeze(1)
                mask = torch.cat([mask, torch.ones((batch, 1), dtype=mask.dtype, device=device)], dim=1)
                step_positions = step_positions[:, -1:] + 1
        finally:
            for hook in hooks:
                hook.remove()
        return [DecodeResult(new_tokens[row], frames[row], stopped[row] or "limit",
                             np.stack(attention_rows[row]) if attention_rows[row]
                             else np.zeros((0, audio_frames[row]), np.float32), audio_frames[row], languages[row],
                             held_back[row])
                for row in range(batch)]

    def _alignment_attention(self, queries: dict[int, torch.Tensor], keys: dict[int, torch.Tensor]) -> torch.Tensor:
        """[batch, encoder frames]: the alignment heads' attention of each row's newest token, averaged."""
        total = None
        for layer, head in self.alignment_heads:
            attention = self.decoder.layers[layer].encoder_attn
            width = attention.head_dim
            query = queries[layer][:, -1, head * width:(head + 1) * width] * attention.scaling  # [batch, width]
            key = keys[layer][:, :, head * width:(head + 1) * width]  # [batch, frames, width]
            weights = torch.softmax(torch.einsum("bw,bfw->bf", query.float(), key.float()), dim=-1)
            total = weights if total is None else total + weights
        return total / len(self.alignment_heads)

    def _no_speech_probabilities(self, hidden: torch.Tensor, transcript_start: list[int]) -> list[float]:
        """Whisper's probability of its no-speech token right after <|startoftranscript|>, per row."""
        rows = torch.stack([hidden[row, column] for row, column in enumerate(transcript_start)])
        probabilities = self.model.proj_out(rows).float().softmax(-1)
        return probabilities[:, self.no_speech].tolist()
