"""What the Speech tab draws: the audio and log-mel spectrogram the model receives, and tokens by probability."""
import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.speech.audio import HOP_LENGTH, SAMPLE_RATE
from models.speech.recognizer import Transcript
from models.speech.streaming import StreamUpdate
from studio.i18n import say

WAVEFORM_POINTS = 4000


def audio_figure(samples: np.ndarray, log_mel: np.ndarray, max_frames: int | None = None) -> go.Figure:
    """Waveform above the log-mel spectrogram ([mel bins, frames]) that Whisper's encoder reads.

    `max_frames` averages neighbouring frames so that at most that many columns are drawn."""
    frame_seconds = HOP_LENGTH / SAMPLE_RATE
    if max_frames and log_mel.shape[1] > max_frames:
        group = -(-log_mel.shape[1] // max_frames)
        usable = log_mel.shape[1] // group * group
        log_mel = log_mel[:, :usable].reshape(log_mel.shape[0], -1, group).mean(axis=2)
        frame_seconds *= group
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.3, 0.7], vertical_spacing=0.04,
                           subplot_titles=(say("speech.plot.waveform"), say("speech.plot.log_mel")))
    step = max(1, len(samples) // (WAVEFORM_POINTS // 4 if max_frames else WAVEFORM_POINTS))
    figure.add_trace(go.Scatter(x=np.arange(0, len(samples), step) / SAMPLE_RATE, y=samples[::step],
                                mode="lines", line={"width": 1}, name=say("speech.plot.amplitude")), row=1, col=1)
    figure.add_trace(go.Heatmap(z=log_mel, x=np.arange(log_mel.shape[1]) * frame_seconds,
                                colorscale="Viridis", showscale=False,
                                hovertemplate=f"%{{x:.2f}} s · {say('speech.plot.mel_bin')} %{{y}}: %{{z:.2f}}<extra></extra>"),
                     row=2, col=1)
    figure.update_layout(height=360, margin={"l": 40, "r": 10, "t": 30, "b": 30}, showlegend=False)
    figure.update_xaxes(title_text=say("speech.plot.seconds"), row=2, col=1)
    return figure


def token_html(transcript: Transcript) -> str:
    """Each output token shaded by the decoder's probability; hover lists its top-5 alternatives."""
    spans = []
    for token in transcript.tokens:
        alternatives = "\n".join(f"{text!r}: {probability:.2f}" for text, probability in token.alternatives)
        hue = int(120 * token.probability)  # red (unsure) → green (sure)
        spans.append(f'<span class="asr-token" style="background: hsla({hue}, 70%, 50%, 0.35)" '
                     f'title="p = {token.probability:.2f}\n{html.escape(alternatives)}">{html.escape(token.text)}</span>')
    return f'<div id="asr-tokens-view">{"".join(spans)}</div>'


def live_html(update: StreamUpdate | None) -> str:
    """Committed words in plain text, the tentative tail greyed: committed words never change."""
    committed, tentative = (update.committed, update.tentative) if update else ("", "")
    return (f'<div class="live-transcript"><span class="committed">{html.escape(committed)}</span> '
            f'<span class="tentative">{html.escape(tentative)}</span></div>')
