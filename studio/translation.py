"""Translation tab: English ↔ Portuguese text, greedy or beam search, with the n-best list."""
import gradio as gr

from models.registry import ModelRegistry
from models.sentences import split_sentences
from studio.common import ASSETS, load_model, model_choices, user_errors


def build(registry: ModelRegistry) -> None:
    directions = model_choices(registry, "translation")

    @user_errors
    def translate(text, direction, beams, progress=gr.Progress()):
        sentences = split_sentences(text or "")
        translator = load_model(registry, direction, progress)
        beams = int(beams)
        results = translator.translate(sentences, beam_size=beams, n_best=min(beams, 5),
                                       progress=lambda fraction, message: progress(fraction, desc=message))
        nbest = [{"source": r.source,
                  "hypotheses": [{"text": h.text, "logprob": round(h.logprob, 3)} for h in r.nbest]}
                 for r in results]
        return " ".join(r.text for r in results), nbest

    with gr.Tab("Translation", id="translation"):
        gr.Markdown("An encoder-decoder transformer translates; beam search keeps the best few partial "
                    "translations at each step instead of only the single best.")
        with gr.Row():
            with gr.Column():
                source = gr.Textbox(label="Text", lines=4, elem_id="translation-input")
                direction = gr.Dropdown(directions, value=directions[0][1] if directions else None,
                                        label="Direction")
                beams = gr.Slider(1, 8, value=4, step=1, label="Beam width (1 = greedy)")
                run = gr.Button("Translate", variant="primary")
            with gr.Column():
                target = gr.Textbox(label="Translation", lines=4, elem_id="translation-output")
                nbest = gr.JSON(label="n-best list (log-probabilities)")
        examples = ASSETS / "text" / "examples.tsv"
        if examples.exists():
            rows = [line.split("\t") for line in examples.read_text(encoding="utf-8").splitlines() if line.strip()]
            gr.Examples([[text, key] for key, text in rows], inputs=[source, direction])
        run.click(translate, [source, direction, beams], [target, nbest], api_name="translate")
