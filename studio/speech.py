"""Speech tab: live microphone transcription with stable partials, or a whole clip with Whisper tiny.en / base."""
from dataclasses import dataclass

import gradio as gr

from models.speech.audio import load_audio, to_16k_mono
from models.limits import LIMITS
from models.registry import ModelRegistry
from models.speech.streaming import LIVE_CHUNK_SECONDS, StreamingTranscriber, StreamUpdate, whisper_decoder
from models.speech.subtitles import to_srt, to_text, to_vtt
from studio import concepts, exports
from studio.common import ASSETS, MODEL_QUEUE, load_model, model_choices, user_errors
from studio.i18n import say, t
from studio.speech_views import audio_figure, live_html, token_html

LANGUAGES = [(t("speech.language.auto"), "auto"), ("English", "en"), ("中文", "zh"),
             ("Português", "pt"), ("Español", "es"), ("Français", "fr"), ("Deutsch", "de"),
             ("日本語", "ja")]
TASKS = [(t("speech.task.transcribe"), "transcribe"), (t("speech.task.translate"), "translate")]
LIVE_PLOT_SECONDS = 2.0  # the live spectrogram is redrawn on a timer, apart from the audio chunks
LIVE_PLOT_FRAMES = 250  # and kept light for the browser
CSS = """
#asr-transcript .committed { color: var(--body-text-color); }
#asr-transcript .tentative { color: var(--body-text-color-subdued); font-style: italic; }
#asr-tokens-view .asr-token { border-radius: 3px; padding: 1px 0; cursor: help; }
"""


def language_option(language: str) -> str | None:
    return None if language == "auto" else language


def subtitle_files(segments) -> list[str]:
    return exports.write("transcript", {"transcript.srt": to_srt(segments), "transcript.vtt": to_vtt(segments),
                                        "transcript.txt": to_text(segments)})


@dataclass
class SpeechOutputs:
    """What other tabs can take from this one: the File tab's transcript and clip, and the buttons that send them."""
    transcript: gr.Textbox
    send_to_translation: gr.Button
    clip: gr.Audio
    model: gr.Dropdown
    send_to_attention: gr.Button


def build(registry: ModelRegistry, teacher: bool = False) -> SpeechOutputs:
    """Build the tab; returns its outputs and "send" buttons for the app to wire.
    `teacher`: the first example clip is already in the File tab."""
    models = model_choices(registry, "speech")

    @user_errors
    def transcribe(audio_path, model_key, language, task, progress=gr.Progress()):
        if not audio_path:
            raise gr.Error(say("speech.no_audio"))
        samples = load_audio(audio_path)
        recognizer = load_model(registry, model_key, progress)
        transcript = recognizer.transcribe(samples, language=language_option(language), task=task, word_timestamps=True,
                                           progress=lambda fraction, message: progress(fraction, desc=message))
        segments = [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text} for s in transcript.segments]
        summary = say("speech.summary", audio=transcript.audio_seconds, decode=transcript.decode_seconds,
                      rtf=transcript.decode_seconds / max(transcript.audio_seconds, 1e-6), spoken=transcript.language)
        words = [[word.text, word.start, word.end, round(word.probability, 2)] for word in transcript.words]
        return (transcript.text, segments, words, token_html(transcript), summary,
                audio_figure(samples, recognizer.log_mel(samples)), subtitle_files(transcript.segments))

    def start_live():
        """A fresh stream at once, so no audio is lost while the model loads."""
        return StreamingTranscriber(), live_html(None), say("speech.loading"), gr.Timer(active=True)

    @user_errors
    def attach_model(stream: StreamingTranscriber | None, model_key, language, task, progress=gr.Progress()):
        if stream is None:
            return gr.skip()
        recognizer = load_model(registry, model_key, progress)
        recognizer.check_options(language_option(language), task)
        stream.decode = whisper_decoder(recognizer, language_option(language), task)
        return say("speech.listening")

    @user_errors
    def live_chunk(chunk, stream: StreamingTranscriber | None, shown: StreamUpdate | None):
        """Only adds audio and shows the latest decode: the browser drops audio while a chunk is pending."""
        if chunk is None or stream is None:
            return gr.skip(), stream, shown, gr.skip()
        sample_rate, samples = chunk
        stream.add_audio(to_16k_mono(samples, sample_rate))
        update = stream.update_in_background()
        if update is None or update is shown:
            return gr.skip(), stream, shown, gr.skip()
        latency = say("speech.latency", ms=update.latency_seconds * 1000, buffer=update.buffer_seconds)
        return live_html(update), stream, update, latency

    @user_errors
    def live_plot_now(stream: StreamingTranscriber | None, model_key):
        if stream is None or stream.buffer.size == 0 or not registry.is_loaded(model_key):
            return gr.skip()
        buffer = stream.buffer
        return audio_figure(buffer, registry.get(model_key).log_mel(buffer), max_frames=LIVE_PLOT_FRAMES)

    @user_errors
    def stop_live(stream: StreamingTranscriber | None):
        if stream is None:
            return gr.skip(), None, gr.skip(), gr.Timer(active=False)
        update = stream.finish()
        return (live_html(update), None, say("speech.final", ms=update.latency_seconds * 1000),
                gr.Timer(active=False))

    with gr.Tab(t("speech.tab"), id="speech"):
        with gr.Row():
            model = gr.Dropdown(models, value=models[0][1] if models else None, label=t("speech.model"), elem_id="asr-model")
            language = gr.Dropdown(LANGUAGES, value="auto", label=t("speech.language"), elem_id="asr-language")
            task = gr.Radio(TASKS, value="transcribe", label=t("speech.task"), elem_id="asr-task")
        with gr.Tab(t("speech.live_tab"), id="speech-live"):
            stream = gr.State(None, time_to_live=900)  # also freed when the browser tab closes
            shown = gr.State(None, time_to_live=900)  # the update on screen, so each is drawn once
            with gr.Row():
                with gr.Column():
                    mic = gr.Audio(sources=["microphone"], streaming=True, type="numpy", label=t("speech.microphone"),
                                   elem_id="asr-mic")
                    reset = gr.Button(t("speech.reset"), elem_id="asr-reset")
                with gr.Column():
                    live = gr.HTML(live_html(None), label=t("speech.live_transcript"), elem_id="asr-transcript")
                    latency = gr.Markdown(elem_id="asr-latency")
            gr.Markdown(t("speech.committed_note"))
            live_plot = gr.Plot(label=t("speech.hears"), elem_id="asr-live-plot")
            plot_timer = gr.Timer(LIVE_PLOT_SECONDS, active=False)
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
                    tokens = gr.HTML(label=t("speech.tokens"),
                                     elem_id="asr-tokens")
                    downloads = gr.File(label=t("speech.downloads"), file_count="multiple", elem_classes=["developer"])
            segments = gr.JSON(label=t("speech.segments"), elem_id="asr-segments", elem_classes=["developer"])
            words = gr.Dataframe(headers=["word", "start", "end", "p"], datatype=["str", "number", "number", "number"],
                                 label=t("speech.words"), interactive=False, max_height=300, elem_id="asr-words")
            plot = gr.Plot(label=t("speech.hears"), elem_id="asr-plot")
        concepts.note("speech")

        mic.start_recording(start_live, None, [stream, live, latency, plot_timer], api_visibility="private").then(
            attach_model, [stream, model, language, task], latency, api_visibility="private", **MODEL_QUEUE)
        mic.stream(live_chunk, [mic, stream, shown], [live, stream, shown, latency], stream_every=LIVE_CHUNK_SECONDS,
                   trigger_mode="multiple", time_limit=600, concurrency_limit=LIMITS.live_speech_concurrency, api_visibility="private",
                   show_progress="hidden")
        mic.stop_recording(stop_live, [stream], [live, stream, latency, plot_timer], api_visibility="private")
        plot_timer.tick(live_plot_now, [stream, model], live_plot, api_visibility="private", show_progress="hidden")
        reset.click(lambda: (None, live_html(None), ""), None, [stream, live, latency], api_visibility="private")
        run.click(transcribe, [audio, model, language, task], [text, segments, words, tokens, summary, plot, downloads],
                  api_name="transcribe", **MODEL_QUEUE)
    return SpeechOutputs(text, send, audio, model, to_attention)
