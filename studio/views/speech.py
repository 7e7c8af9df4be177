"""What the Speech tab draws: the audio and log-mel spectrogram the model receives, tokens by probability, why
the live policy committed what it did, and each word's lag from spoken to committed."""
import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.speech.audio import HOP_LENGTH, SAMPLE_RATE
from models.speech.recognizer import ENCODER_FRAMES_PER_SECOND, Transcript
from models.speech.stream_policy import AgreementWhy, AlignAttWhy
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


def agreement_html(why: AgreementWhy) -> str:
    """LocalAgreement's last hypotheses, one per line, with the prefix they agree on marked."""
    rows = []
    for hypothesis in why.hypotheses:
        words = [f'<mark class="agreed">{html.escape(word)}</mark>' if index < why.agreed else html.escape(word)
                 for index, word in enumerate(hypothesis)]
        rows.append(f'<li>{" ".join(words)}</li>')
    note = html.escape(say("speech.why.agreement", agreed=why.agreed, committed=why.committed))
    return f'<div class="asr-why"><p>{note}</p><ol>{"".join(rows)}</ol></div>'


def alignatt_figure(why: AlignAttWhy) -> go.Figure:
    """The alignment heads' attention of each token the last decode wrote (rows) over the buffer (columns,
    seconds), with the frontier: a token attending past it waits for more audio."""
    seconds = np.arange(why.audio_frames) / ENCODER_FRAMES_PER_SECOND
    labels = [f"{index + 1}. {token!r}" for index, token in enumerate(why.tokens)]
    figure = go.Figure(go.Heatmap(z=why.attention, x=seconds, y=labels, colorscale="Viridis", showscale=False,
                                  hovertemplate="%{y} · %{x:.2f} s: %{z:.3f}<extra></extra>"))
    if why.frontier_frame is not None:
        frontier = why.frontier_frame / ENCODER_FRAMES_PER_SECOND
        figure.add_vline(x=frontier, line={"color": "red", "dash": "dash"},
                         annotation_text=say("speech.why.frontier"), annotation_position="top left")
    figure.update_layout(title=say("speech.why.alignatt", stopped=say(f"speech.why.stopped.{why.stopped}")),
                         height=140 + 18 * len(labels), margin={"l": 120, "r": 10, "t": 40, "b": 30},
                         yaxis={"autorange": "reversed"}, xaxis_title=say("speech.plot.seconds"))
    return figure


def lag_figure(words: list[tuple[str, float | None, float]]) -> go.Figure:
    """Per word (text, spoken at, committed at): a line from when it was spoken to when it was committed."""
    figure = go.Figure()
    spoken = [(index, text, said, committed) for index, (text, said, committed) in enumerate(words) if said is not None]
    for index, text, said, committed in spoken:
        figure.add_trace(go.Scatter(x=[said, committed], y=[index, index], mode="lines+markers",
                                    line={"color": "#4c78a8"}, marker={"size": [5, 9]}, showlegend=False,
                                    hovertemplate=f"{html.escape(text)}: {committed - said:.2f} s<extra></extra>"))
    figure.update_layout(title=say("speech.plot.lag"), height=160 + 14 * len(words),
                         margin={"l": 90, "r": 10, "t": 40, "b": 30}, xaxis_title=say("speech.plot.seconds"),
                         yaxis={"tickvals": list(range(len(words))), "ticktext": [text for text, _, _ in words],
                                "autorange": "reversed"})
    return figure
