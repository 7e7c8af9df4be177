"""The Training tab's speech-recognizer panel: a recognizer trained here (task "ctc") decodes a clip, and shows
its CTC posteriors, the greedy path, the beam's n-best with acoustic and language-model scores, and how much the
language model helps on the held-out voice.

Handlers first (plain functions; `recognize` and `held_out_wer` are also API endpoints), then `build_recognizer_panel`.
"""
import gradio as gr
from gradio.data_classes import FileData

from models.errors import InputError
from models.speech.audio import load_audio
from models.speech.ctc_decoding import DecodeOptions
from models.speech.ctc_recognizer import DECODERS, CTCRecognizer, Recognition
from models.training import saved
from models.training.tasks.ctc import TIME_STRIDE
from studio.common import file_path, in_user_language, model_queue, refreshed_choice, user_errors
from studio.i18n import say, t
from studio.views.ctc import greedy_path_markdown, nbest_rows, posteriors_figure, wer_rows

ENDPOINTS = {"recognize": "recognize", "held_out_wer": "recognizer_wer"}
DEFAULTS = DecodeOptions()
NBEST_COLUMNS = ["rank", "text", "acoustic", "lm", "total"]  # keys ctc.column.*
WER_COLUMNS = ["decoder", "wer"]


def recognizer_choices() -> list[tuple[str, int]]:
    """The recognizers trained so far, newest first: (title, run id)."""
    return [(say("ctc.saved_title", run=model.run_id, variant=say(f"training.variant.{model.variant}"),
                 accuracy=model.accuracy or 0.0), model.run_id) for model in saved.saved_models("ctc")]


def refreshed_recognizers(current: int | None):
    return refreshed_choice(recognizer_choices(), current)


def _recognizer(run_id) -> CTCRecognizer:
    model = saved.find(f"{saved.KEY_PREFIX}{run_id}") if run_id not in (None, "") else None
    if model is None or model.kind != "ctc":
        raise InputError.of("ctc.no_model", run_id=run_id)
    return saved.load_recognizer(model.folder)


def _recognition(run_id, audio: str, decoder: str, alpha: float, beta: float) -> Recognition:
    if not audio:
        raise InputError.of("ctc.no_audio")
    return _recognizer(run_id).recognize(load_audio(audio), decoder, float(alpha), float(beta), DEFAULTS.beam)


@user_errors
def recognize(run_id: int, audio: FileData, decoder: str = "ngram", alpha: float = DEFAULTS.alpha,
              beta: float = DEFAULTS.beta) -> dict:
    """What a speech recognizer trained in the Training tab (task "ctc") hears in a short spoken command.

    Args:
        run_id: the training run that made the recognizer
        audio: a short clip (at most 10 s) of a command such as "turn left three steps"
        decoder: "greedy" (the acoustic model alone), "ngram" or "neural" (beam search with that language model)
        alpha: the language model's weight in the beam search
        beta: the bonus per word in the beam search

    Returns:
        {"text", "nbest": [{"text", "acoustic", "lm", "total"}], "notes"}: the best text, the beam's best
        hypotheses with their acoustic, language-model and total scores, and notes (e.g. words the LM does not know).
    """
    recognition = _recognition(run_id, file_path(audio), decoder, alpha, beta)
    return {"text": recognition.text,
            "nbest": [{"text": h.text, "acoustic": h.acoustic, "lm": h.lm, "total": h.total} for h in recognition.nbest],
            "notes": [in_user_language(note) for note in recognition.notes]}


@user_errors
def show_recognition(run_id, audio, decoder, alpha, beta):
    """(heard text, posteriors heatmap, greedy path, n-best table) for the panel."""
    recognition = _recognition(run_id, audio, decoder, alpha, beta)
    heard = "### " + (recognition.text or "∅") + "".join(f"\n\n{in_user_language(note)}" for note in recognition.notes)
    return (heard, posteriors_figure(recognition, TIME_STRIDE), greedy_path_markdown(recognition),
            gr.Dataframe(nbest_rows(recognition), headers=[say(f"ctc.column.{c}") for c in NBEST_COLUMNS]))


@user_errors
def held_out_wer(run_id: int, alpha: float = DEFAULTS.alpha, beta: float = DEFAULTS.beta) -> dict:
    """Word error rate of a trained speech recognizer on the voice it never heard, for each decoder.

    Args:
        run_id: the training run that made the recognizer (task "ctc")
        alpha: the language model's weight in the beam search
        beta: the bonus per word in the beam search

    Returns:
        {"greedy", "ngram", "neural"}: the word error rate (0 to 1) of each decoder.
    """
    return _recognizer(run_id).held_out_wer(float(alpha), float(beta), DEFAULTS.beam)


@user_errors
def held_out_table(run_id, alpha, beta, progress=gr.Progress()):
    """The panel's WER table, greedy vs + n-gram vs + LSTM LM, with a progress bar."""
    errors = _recognizer(run_id).held_out_wer(float(alpha), float(beta), DEFAULTS.beam,
                                              lambda fraction, message: progress(fraction,
                                                                                 desc=in_user_language(message)))
    return gr.Dataframe(wer_rows(errors), headers=[say(f"ctc.column.{c}") for c in WER_COLUMNS])


def build_recognizer_panel() -> None:
    """Speak or upload a short command; see how a recognizer trained here hears it, with and without an LM."""
    with gr.Accordion(t("ctc.title"), open=False, elem_id="ctc-panel"):
        gr.Markdown(t("ctc.intro"))
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                choices = recognizer_choices()
                model = gr.Dropdown(choices, value=choices[0][1] if choices else None, label=t("ctc.model"),
                                    elem_id="ctc-model")
                refresh = gr.Button(t("ctc.refresh"), size="sm", elem_id="ctc-refresh")
                audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label=t("ctc.audio"),
                                 elem_id="ctc-audio")
                decoder = gr.Radio([(t(f"ctc.decoder.{key}"), key) for key in DECODERS], value="ngram",
                                   label=t("ctc.decoder"))
                alpha = gr.Slider(0, 3, DEFAULTS.alpha, step=0.1, label=t("ctc.alpha"))
                beta = gr.Slider(-2, 5, DEFAULTS.beta, step=0.25, label=t("ctc.beta"))
                run = gr.Button(t("ctc.run"), variant="primary", elem_id="ctc-run")
                score = gr.Button(t("ctc.score"), elem_id="ctc-score")
            with gr.Column(scale=2):
                heard = gr.Markdown(elem_id="ctc-heard")
                posteriors = gr.Plot(label=t("ctc.posteriors"), elem_id="ctc-posteriors")
                path = gr.Markdown(elem_id="ctc-path")
                # headers come with the first table, in the page's language
                nbest = gr.Dataframe(interactive=False, label=t("ctc.nbest"), elem_id="ctc-nbest")
                wer = gr.Dataframe(interactive=False, label=t("ctc.wer"), elem_id="ctc-wer")
        with gr.Accordion(t("app.concept"), open=False):  # the panel's own note; the tab's is concept-training
            gr.Markdown(t("ctc.concept"), elem_id="ctc-concept")
    refresh.click(refreshed_recognizers, model, model, api_visibility="private")
    run.click(show_recognition, [model, audio, decoder, alpha, beta], [heard, posteriors, path, nbest],
              api_visibility="private", **model_queue("recognize"))
    score.click(held_out_table, [model, alpha, beta], wer, api_visibility="private",
                **model_queue("recognizer_wer"))
    gr.api(recognize, api_name=ENDPOINTS["recognize"], **model_queue("recognize"))
    gr.api(held_out_wer, api_name=ENDPOINTS["held_out_wer"], **model_queue("recognizer_wer"))
