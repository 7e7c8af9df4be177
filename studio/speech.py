"""Speech tab: live microphone transcription (AlignAtt or LocalAgreement-2, and why each word was committed), a
whole clip with Whisper tiny.en / base, and a clip replayed through the live path."""
import threading
import weakref
from dataclasses import dataclass

import gradio as gr

from models.errors import InputError
from models.limits import LIMITS
from models.registry import ModelRegistry
from models.speech.audio import load_audio
from models.speech.frames import FrameSequence, decode_frame
from models.speech.chinese import DEFAULT_SCRIPT, SCRIPTS
from models.speech.live import DEFAULT_POLICY, LiveStream, attach, new_stream, stream_file
from models.speech.recognizer import Segment
from models.speech.stream_policy import AgreementWhy, AlignAttWhy
from models.speech.streaming import StreamUpdate
from models.speech.subtitles import to_srt, to_text, to_vtt
from models.training import saved
from studio import concepts, exports, microphone
from studio.common import ASSETS, in_user_language, load_model, log, model_queue, user_errors
from studio.handlers import bind
from studio.i18n import say, t
from studio.whisper_panels import speech_model_choices
from studio.views.speech import agreement_html, alignatt_figure, audio_figure, lag_figure, live_html, token_html

TRANSCRIBE_API = "transcribe"  # (audio file, model, language, task) -> the transcript
STREAM_FILE_API = "stream_file"  # (audio file, model, language, policy) -> the live path replayed; the live mic is private
# Each language in its own name (not translated, as language pickers do).
LANGUAGES = [(t("speech.language.auto"), "auto"), ("English", "en"), ("中文", "zh"),
             ("Português", "pt"), ("Español", "es"), ("Français", "fr"), ("Deutsch", "de"),
             ("日本語", "ja")]
TASKS = [(t("speech.task.transcribe"), "transcribe"), (t("speech.task.translate"), "translate")]
POLICIES = [(t(f"speech.policy.{policy}"), policy) for policy in ("alignatt", "local-agreement")]
CHINESE_SCRIPTS = [(t(f"speech.script.{script}"), script) for script in SCRIPTS]
REPLAY_COLUMNS = ["word", "spoken", "committed", "lag"]  # keys speech.column.*
LAG_SHOWN_SECONDS = 1.0  # decoding this far behind the microphone is shown beside the transcript
WORD_COLUMNS = ["word", "start", "end", "p"]  # keys speech.column.*
LIVE_REFRESH_SECONDS = 0.3  # the transcript and status are redrawn from the stream this often while recording
STOP_WAIT_SECONDS = 20.0  # Stop waits at most this long for frames still on their way
LIVE_PLOT_SECONDS = 2.0  # the live spectrogram is redrawn on a timer, apart from the audio chunks
LIVE_PLOT_FRAMES = 250  # and kept light for the browser
STREAM_TTL_SECONDS = 900  # a live stream's state is freed this long after its last use (or when the browser tab closes)
CSS = """
#asr-transcript .committed { color: var(--body-text-color); }
#asr-transcript .tentative { color: var(--body-text-color-subdued); font-style: italic; }
#asr-tokens-view .asr-token { border-radius: 3px; padding: 1px 0; cursor: help; }
"""


@dataclass
class SpeechOutputs:
    """What other tabs can take from this one: the File tab's transcript and clip, and the buttons that send them."""
    transcript: gr.Textbox
    send_to_translation: gr.Button
    clip: gr.Audio
    model: gr.Dropdown
    send_to_attention: gr.Button


# ----------------------------------------------------------------------------------------------
# Handlers

def language_option(language: str) -> str | None:
    return None if language == "auto" else language


def column_headers(columns: list[str]) -> list[str]:
    return [say(f"speech.column.{column}") for column in columns]


def subtitle_files(segments: list[Segment]) -> list[str]:
    return exports.write("transcript", {"transcript.srt": to_srt(segments), "transcript.vtt": to_vtt(segments),
                                        "transcript.txt": to_text(segments)})


def refreshed_models(registry: ModelRegistry, current: str | None):
    return gr.Dropdown(choices=speech_model_choices(registry), value=current)


def speech_model(registry: ModelRegistry, key: str, progress: gr.Progress):
    """The recognizer `key` names, a Whisper fine-tuned since the page loaded (or named by an API call) too."""
    if key and key.startswith(saved.KEY_PREFIX):
        saved.register_speech_models(registry)
    return load_model(registry, key, progress)


@user_errors
def transcribe(registry: ModelRegistry, audio_path: str | None, model_key: str, language: str, task: str,
               script: str = DEFAULT_SCRIPT, progress=gr.Progress()):
    """Transcribe (or translate to English) a whole speech clip with Whisper.

    Args:
        audio_path: the clip (wav, mp3, flac, ...; up to 10 minutes), read at 16 kHz mono
        model_key: "whisper-tiny.en" (English) or "whisper-base" (99 languages), or "trained-run-<id>" for a
            Whisper fine-tuned in the Training tab
        language: "auto" or a language code such as "en", "zh", "pt"
        task: "transcribe", or "translate" (speech in any language to English text)
        script: Chinese output in "simplified" or "traditional" characters

    Returns:
        The text; segments and words with start and end times; tokens with their probabilities; a summary;
        the log-mel spectrogram plot; SRT / VTT / TXT subtitle files.
    """
    if not audio_path:
        raise InputError.of("speech.no_audio")
    samples = load_audio(audio_path)
    recognizer = speech_model(registry, model_key, progress)
    transcript = recognizer.transcribe(samples, language=language_option(language), task=task, word_timestamps=True,
                                       script=script,
                                       progress=lambda fraction, message: progress(fraction,
                                                                                   desc=in_user_language(message)))
    segments = [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text} for s in transcript.segments]
    summary = say("speech.summary", audio=transcript.audio_seconds, decode=transcript.decode_seconds,
                  rtf=transcript.real_time_factor, spoken=transcript.language)
    words = [[word.text, word.start, word.end, round(word.probability, 2)] for word in transcript.words]
    return (transcript.text, segments, {"data": words, "headers": column_headers(WORD_COLUMNS)}, token_html(transcript), summary,
            audio_figure(samples, recognizer.log_mel(samples)), subtitle_files(transcript.segments))


@user_errors
def start_live(policy: str = DEFAULT_POLICY):
    """A fresh stream at once, so no audio is lost while the model loads."""
    return new_stream(policy), live_html(None), say("speech.loading"), gr.Timer(active=True)


@user_errors
def attach_model(registry: ModelRegistry, stream: LiveStream | None, model_key: str, language: str,
                 task: str, script: str = DEFAULT_SCRIPT, progress=gr.Progress()):
    """The model, once loaded, starts decoding the stream (with the audio kept meanwhile)."""
    if stream is None:
        return gr.skip()
    recognizer = speech_model(registry, model_key, progress)
    attach(stream, recognizer, recognizer.check_options(language_option(language), task), task, script)
    return say("speech.listening")


def latency_text(update: StreamUpdate) -> str:
    """How fast the last update was, and how far decoding is behind the microphone when it is."""
    values = dict(ms=update.latency_seconds * 1000, buffer=update.buffer_seconds)
    if update.lag_seconds >= LAG_SHOWN_SECONDS:
        return say("speech.latency_lag", lag=update.lag_seconds, **values)
    return say("speech.latency", **values)


# The microphone's frames by stream id (the page's, studio/microphone.py), until Stop or STREAM_TTL_SECONDS unused.
CAPTURES: dict[str, FrameSequence] = {}
CAPTURES_LOCK = threading.Lock()
# Streams Stop has finished: a refresh already queued before Stop leaves the final text and status alone.
FINISHED: weakref.WeakSet = weakref.WeakSet()


def capture_for(stream_id: str) -> FrameSequence:
    """The frame sequence of `stream_id`, made on first use (frames can come before Record's handler has run);
    sequences unused for STREAM_TTL_SECONDS (a browser that went away) are freed."""
    with CAPTURES_LOCK:
        capture = CAPTURES.get(stream_id)
        if capture is None:
            for stale in [key for key, old in CAPTURES.items() if capture_expired(old)]:
                del CAPTURES[stale]
            capture = CAPTURES[stream_id] = FrameSequence()
        return capture


def capture_expired(capture: FrameSequence) -> bool:
    return capture.clock() - capture.used_at > STREAM_TTL_SECONDS


def live_frames(payload: dict) -> dict:
    """The page's numbered microphone frames ({stream, frames: [[number, base64 int16 at 16 kHz], ...]}): fed
    to the live stream in order, and decoding started; returns the next frame number expected."""
    capture = capture_for(str(payload["stream"]))
    for number, data in payload["frames"]:
        capture.add(int(number), decode_frame(data))
    if capture.stream is not None:
        capture.stream.update_in_background()
    return {"next": capture.next}


def start_capture(policy: str, event: gr.EventData):
    """Record: a fresh stream (start_live) that the page's frames, numbered from the first, now feed."""
    stream, html, status, plot_timer = start_live(policy)
    capture_for(str(event._data["stream"])).attach(stream)
    stream.update_in_background()
    return stream, html, status, plot_timer, gr.Timer(active=True)


def stop_capture(stream: LiveStream | None, event: gr.EventData):
    """Stop: waits (at most STOP_WAIT_SECONDS) for every frame up to the page's last, then finishes the stream."""
    stream_id, last = str(event._data["stream"]), int(event._data["last"])
    with CAPTURES_LOCK:
        capture = CAPTURES.get(stream_id)
    complete = capture is None or capture.wait_through(last, STOP_WAIT_SECONDS)  # frames still come in meanwhile
    with CAPTURES_LOCK:
        CAPTURES.pop(stream_id, None)
    if capture is not None:  # the browser test reads this line: every frame, and so every sample, arrived
        log.info("live microphone %s: frames %d of %d, samples %d, missing %s", stream_id, capture.next,
                 last + 1, capture.samples_fed, capture.missing() or "none")
    html, cleared, status, plot_timer = stop_live(stream)
    if stream is not None:
        FINISHED.add(stream)
    if not complete and stream is not None:
        status = f"{status} · {say('speech.frames_missing', missing=last + 1 - capture.next)}"
    return html, cleared, status, plot_timer, gr.Timer(active=False)


def live_refresh(stream: LiveStream | None, shown: StreamUpdate | None):
    """The latest decode on screen (each once), with how far decoding is behind the microphone."""
    update = stream.latest if stream is not None and stream not in FINISHED else None
    if update is None or update is shown:
        return gr.skip(), shown, gr.skip()
    return live_html(update), update, latency_text(update)


@user_errors
def live_plot_now(registry: ModelRegistry, stream: LiveStream | None, model_key: str):
    """What the model hears now (the stream's buffer), why its words were committed, and each word's lag."""
    if stream is None or not registry.is_loaded(model_key):
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    buffer = stream.buffered_audio()
    hears = (audio_figure(buffer, registry.get(model_key).log_mel(buffer), max_frames=LIVE_PLOT_FRAMES)
             if buffer.size else gr.skip())
    return (hears, *why_views(stream.latest.why if stream.latest else None), live_lag_figure(stream))


def why_views(why: AgreementWhy | AlignAttWhy | None):
    """(AlignAtt's attention plot, LocalAgreement's hypotheses) for the policy that decided."""
    if isinstance(why, AlignAttWhy):
        return gr.Plot(alignatt_figure(why), visible=True), gr.HTML(visible=False)
    if isinstance(why, AgreementWhy):
        return gr.Plot(visible=False), gr.HTML(agreement_html(why), visible=True)
    return gr.skip(), gr.skip()


def live_lag_figure(stream: LiveStream):
    words = stream.committed_words()
    return gr.Plot(lag_figure([(word.text, word.spoken_at, word.committed_at) for word in words]),
                   visible=bool(words))


@user_errors
def replay_file(registry: ModelRegistry, audio_path: str | None, model_key: str, language: str,
                policy: str = DEFAULT_POLICY, script: str = DEFAULT_SCRIPT, progress=gr.Progress()):
    """Replay a clip through the live (streaming) transcriber on a virtual clock, as if it were spoken now.

    Args:
        audio_path: the clip, read at 16 kHz mono
        model_key: "whisper-tiny.en" or "whisper-base"
        language: "auto" or a language code such as "en"
        policy: when words are committed: "local-agreement" (two decodes agree) or "alignatt" (attention)
        script: Chinese output in "simplified" or "traditional" characters

    Returns:
        The final text; every committed word with when it was spoken and committed; a latency summary; the lag plot.
    """
    if not audio_path:
        raise InputError.of("speech.no_audio")
    samples = load_audio(audio_path)
    recognizer = speech_model(registry, model_key, progress)
    progress(0.5, desc=say("speech.replaying"))
    replay = stream_file(recognizer, samples, language_option(language), policy, script=script)
    rows = [[word.text, word.spoken_at, word.committed_at, word.lag] for word in replay.words]
    first = f"{replay.first_word_latency:.2f}" if replay.first_word_latency is not None else "–"
    summary = say("speech.replay_summary", policy=say(f"speech.policy.{policy}"), first=first,
                  final=replay.final_latency, decodes=len(replay.decode_seconds))
    lag = lag_figure([(word.text, word.spoken_at, word.committed_at) for word in replay.words])
    return replay.text, {"data": rows, "headers": column_headers(REPLAY_COLUMNS)}, \
        summary, lag


@user_errors
def stop_live(stream: LiveStream | None):
    if stream is None:
        return gr.skip(), None, gr.skip(), gr.Timer(active=False)
    update = stream.finish()
    return (live_html(update), None, say("speech.final", ms=update.latency_seconds * 1000),
            gr.Timer(active=False))


def reset_live():
    return None, live_html(None), ""


# ----------------------------------------------------------------------------------------------
# Layout

def build(registry: ModelRegistry, teacher: bool = False) -> SpeechOutputs:
    """Build the tab; returns its outputs and "send" buttons for the app to wire.
    `teacher`: the first example clip is already in the File tab."""
    models = speech_model_choices(registry)
    with gr.Tab(t("speech.tab"), id="speech") as tab:
        with gr.Row():
            model = gr.Dropdown(models, value=models[0][1] if models else None, label=t("speech.model"),
                                allow_custom_value=True, elem_id="asr-model")  # models fine-tuned later too
            language = gr.Dropdown(LANGUAGES, value="auto", label=t("speech.language"), elem_id="asr-language")
            task = gr.Radio(TASKS, value="transcribe", label=t("speech.task"), elem_id="asr-task")
            script = gr.Radio(CHINESE_SCRIPTS, value=DEFAULT_SCRIPT, label=t("speech.script"), elem_id="asr-script")
        with gr.Tab(t("speech.live_tab"), id="speech-live"):
            stream = gr.State(None, time_to_live=STREAM_TTL_SECONDS)
            shown = gr.State(None, time_to_live=STREAM_TTL_SECONDS)  # the update on screen, so each is drawn once
            with gr.Row():
                with gr.Column():
                    policy = gr.Radio(POLICIES, value=DEFAULT_POLICY, label=t("speech.policy"), elem_id="asr-policy")
                    mic = gr.HTML(html_template=microphone.HTML_TEMPLATE, css_template=microphone.CSS_TEMPLATE,
                                  js_on_load=microphone.capture_script(), server_functions=[live_frames],
                                  label=t("speech.microphone"), show_label=True, container=True, elem_id="asr-mic")
                    reset = gr.Button(t("speech.reset"), elem_id="asr-reset")
                with gr.Column():
                    live = gr.HTML(live_html(None), label=t("speech.live_transcript"), elem_id="asr-transcript")
                    latency = gr.Markdown(elem_id="asr-latency")
            gr.Markdown(t("speech.committed_note"))
            live_lag = gr.Plot(visible=False, show_label=False, elem_id="asr-lag-plot")
            with gr.Accordion(t("speech.why.title"), open=True):
                why_attention = gr.Plot(visible=False, show_label=False, elem_id="asr-why-alignatt")
                why_agreement = gr.HTML(visible=False, elem_id="asr-why-agreement")
            live_plot = gr.Plot(label=t("speech.hears"), elem_id="asr-live-plot")
            plot_timer = gr.Timer(LIVE_PLOT_SECONDS, active=False)
            live_timer = gr.Timer(LIVE_REFRESH_SECONDS, active=False)
        with gr.Tab(t("speech.file_tab"), id="speech-file"):
            with gr.Row():
                with gr.Column():
                    examples = sorted((ASSETS / "audio").glob("*.wav"))
                    audio = gr.Audio(str(examples[0]) if teacher and examples else None, sources=["upload", "microphone"],
                                     type="filepath", label=t("speech.audio"), elem_id="asr-file")
                    run = gr.Button(t("speech.run"), variant="primary", elem_id="asr-file-run")
                    if examples:
                        gr.Examples([[str(path)] for path in examples], inputs=[audio], label=t("speech.examples"))
                with gr.Column():
                    text = gr.Textbox(label=t("speech.transcript"), lines=4, elem_id="asr-file-transcript")
                    with gr.Row():
                        send = gr.Button(t("speech.send"), size="sm", elem_id="asr-send-translation")
                        to_attention = gr.Button(t("speech.to_attention"), size="sm", elem_id="asr-send-attention")
                    summary = gr.Markdown()
                    tokens = gr.HTML(label=t("speech.tokens"), elem_id="asr-tokens")
                    downloads = gr.File(label=t("speech.downloads"), file_count="multiple", elem_classes=["developer"])
            segments = gr.JSON(label=t("speech.segments"), elem_id="asr-segments", elem_classes=["developer"])
            words = gr.Dataframe(headers=column_headers(WORD_COLUMNS), datatype=["str", "number", "number", "number"],
                                 label=t("speech.words"), interactive=False, max_height=300, elem_id="asr-words")
            plot = gr.Plot(label=t("speech.hears"), elem_id="asr-plot")
            with gr.Row():
                replay_policy = gr.Radio(POLICIES, value=DEFAULT_POLICY, label=t("speech.policy"),
                                         elem_id="asr-replay-policy")
                replay = gr.Button(t("speech.replay"), elem_id="asr-replay-run")
            gr.Markdown(t("speech.replay_note"))
            replay_text = gr.Textbox(label=t("speech.live_transcript"), lines=3, elem_id="asr-replay-transcript")
            replay_summary = gr.Markdown(elem_id="asr-replay-summary")
            replay_words = gr.Dataframe(headers=column_headers(REPLAY_COLUMNS),
                                        datatype=["str", "number", "number", "number"], label=t("speech.replay_words"),
                                        interactive=False, max_height=300, elem_id="asr-replay-words")
            replay_lag = gr.Plot(show_label=False, elem_id="asr-replay-lag")
        concepts.note("speech")

        mic.start_recording(start_capture, policy, [stream, live, latency, plot_timer, live_timer],
                            api_visibility="private", show_progress="hidden").then(
            bind(attach_model, registry), [stream, model, language, task, script], latency,
            api_visibility="private", **model_queue("attach_live_model"))
        live_timer.tick(live_refresh, [stream, shown], [live, shown, latency], api_visibility="private",
                        show_progress="hidden", concurrency_limit=LIMITS.live_speech_concurrency)
        mic.stop_recording(stop_capture, [stream], [live, stream, latency, plot_timer, live_timer],
                           api_visibility="private", show_progress="hidden",
                           concurrency_limit=LIMITS.live_speech_concurrency)
        plot_timer.tick(bind(live_plot_now, registry), [stream, model], [live_plot, why_attention, why_agreement, live_lag],
                        api_visibility="private", show_progress="hidden")
        reset.click(reset_live, None, [stream, live, latency], api_visibility="private")
        tab.select(bind(refreshed_models, registry), model, model, api_visibility="private")
        run.click(bind(transcribe, registry), [audio, model, language, task, script],
                  [text, segments, words, tokens, summary, plot, downloads], api_name=TRANSCRIBE_API, **model_queue("transcribe"))
        replay.click(bind(replay_file, registry), [audio, model, language, replay_policy, script],
                     [replay_text, replay_words, replay_summary, replay_lag], api_name=STREAM_FILE_API, **model_queue("stream_file"))
    return SpeechOutputs(text, send, audio, model, to_attention)
