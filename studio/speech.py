"""Speech tab: upload or record a clip, choose Whisper tiny.en or base, read the transcript."""
import gradio as gr

from models.audio import load_audio
from models.registry import ModelRegistry
from models.speech import Transcript
from studio.common import ASSETS, load_model, model_choices, user_errors

LANGUAGES = [("Detect automatically", "auto"), ("English", "en"), ("中文 (Chinese)", "zh"),
             ("Português", "pt"), ("Español", "es"), ("Français", "fr"), ("Deutsch", "de"),
             ("日本語", "ja")]
TASKS = [("Transcribe", "transcribe"), ("Translate to English", "translate")]


def token_highlights(transcript: Transcript) -> list[tuple[str, str]]:
    """Each output token labelled by how sure the decoder was: the language model's view."""
    def confidence(probability: float) -> str:
        return "sure (≥ 0.9)" if probability >= 0.9 else "likely (≥ 0.5)" if probability >= 0.5 else "unsure (< 0.5)"

    return [(token.text, confidence(token.probability)) for token in transcript.tokens]


def build(registry: ModelRegistry) -> None:
    models = model_choices(registry, "speech")

    @user_errors
    def transcribe(audio_path, model_key, language, task, progress=gr.Progress()):
        if not audio_path:
            raise gr.Error("No audio: upload a file, record with the microphone or pick an example.")
        samples = load_audio(audio_path)
        recognizer = load_model(registry, model_key, progress)
        transcript = recognizer.transcribe(samples, language=None if language == "auto" else language, task=task,
                                           progress=lambda fraction, message: progress(fraction, desc=message))
        segments = [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text} for s in transcript.segments]
        summary = (f"{transcript.audio_seconds:.1f} s of audio in {transcript.decode_seconds:.2f} s "
                   f"(real-time factor {transcript.decode_seconds / max(transcript.audio_seconds, 1e-6):.2f}), "
                   f"language: {transcript.language}")
        return transcript.text, segments, token_highlights(transcript), summary

    with gr.Tab("Speech", id="speech"):
        gr.Markdown("Speech recognition with Whisper: audio → log-mel spectrogram → encoder (acoustic model) "
                    "→ decoder (language model) → text.")
        with gr.Row():
            with gr.Column():
                audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Audio",
                                 elem_id="asr-file")
                model = gr.Dropdown(models, value=models[0][1] if models else None, label="Model")
                language = gr.Dropdown(LANGUAGES, value="auto", label="Language")
                task = gr.Radio(TASKS, value="transcribe", label="Task")
                run = gr.Button("Transcribe", variant="primary")
            with gr.Column():
                text = gr.Textbox(label="Transcript", lines=4, elem_id="asr-file-transcript")
                summary = gr.Markdown()
                tokens = gr.HighlightedText(label="Tokens by decoder confidence", show_legend=True)
                segments = gr.JSON(label="Segments")
        examples = sorted((ASSETS / "audio").glob("*.wav"))
        if examples:
            gr.Examples([[str(path)] for path in examples], inputs=[audio])
        run.click(transcribe, [audio, model, language, task], [text, segments, tokens, summary],
                  api_name="transcribe")
