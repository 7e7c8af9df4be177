"""Translation tab: English ↔ Portuguese with greedy or beam search, the n-best list, and the
cross-attention that shows which source words each target word was translated from."""
from dataclasses import dataclass

import gradio as gr

from models.errors import InputError
from models.registry import ModelRegistry
from models.translation.alignment import attention_map, merge_words
from models.translation.sentences import split_sentences
from models.translation.translators import Translation
from studio import attributions, concepts, exports
from studio.common import ASSETS, in_user_language, load_model, model_choices, model_queue, user_errors
from studio.handlers import bind
from studio.i18n import say, t
from studio.views.heatmap import heatmap_png, heatmap_svg
from studio.views.translation import alignment_figure, heatmap_figure

TRANSLATE_API = "translate"  # the tab's one public endpoint: (text, direction, beams, length penalty)
MEAN_OVER_HEADS = -1
MAX_NBEST = 5
NBEST_COLUMNS = ["sentence", "rank", "translation", "logprob", "tokens", "score"]  # keys translation.column.*
EXAMPLES = ASSETS / "text" / "examples.tsv"  # direction key \t sentence, one a line


@dataclass
class TranslationInputs:
    """The tab's inputs, for another tab to fill (the Speech tab's "Send to Translation")."""
    source: gr.Textbox
    direction: gr.Dropdown
    send_to_attention: gr.Button  # this tab's own button: its text and model, in the Attention tab

    def send_from(self, button: gr.Button, text: gr.Textbox, tabs: gr.Tabs) -> None:
        """Clicking `button` copies `text` into the source box and opens this tab."""
        button.click(lambda value: (value, gr.Tabs(selected="translation")), text, [self.source, tabs],
                     api_visibility="private")


# ----------------------------------------------------------------------------------------------
# Handlers

def nbest_headers() -> list[str]:
    return [say(f"translation.column.{column}") for column in NBEST_COLUMNS]


def nbest_rows(translations: list[Translation]) -> list[list]:
    return [[number, rank, hypothesis.text, round(hypothesis.logprob, 3), len(hypothesis.tokens),
             round(hypothesis.score, 3)]
            for number, translation in enumerate(translations, start=1)
            for rank, hypothesis in enumerate(translation.nbest, start=1)]


def nbest_json(translations: list[Translation]) -> list[dict]:
    return [{"source": r.source,
             "hypotheses": [{"text": h.text, "logprob": round(h.logprob, 3), "score": round(h.score, 3)}
                            for h in r.nbest]}
            for r in translations]


@user_errors
def translate(registry: ModelRegistry, text: str, direction: str, beams: float, length_penalty: float,
              progress=gr.Progress()) -> tuple[str, list[dict], list[Translation]]:
    """Translate English to Portuguese or Portuguese to English, sentence by sentence.

    Args:
        text: the text to translate (up to 20,000 characters)
        direction: "bergamot-en-pt" (English to Portuguese) or "bergamot-pt-en"
        beams: beam width, 1 (greedy) to 8
        length_penalty: how much longer translations are favoured in the beam (1.0: neutral)

    Returns:
        The translated text; every sentence's n-best list with log-probabilities; the translations with their
        cross-attention (the page's views read them).
    """
    sentences = split_sentences(text or "")
    translator = load_model(registry, direction, progress)
    beams = int(beams)
    results = translator.translate(sentences, beam_size=beams, n_best=min(beams, MAX_NBEST),
                                   length_penalty=float(length_penalty), with_attention=True,
                                   progress=lambda fraction, message: progress(fraction,
                                                                               desc=in_user_language(message)))
    unreadable = [result.unreadable for result in results]
    if all(unreadable):
        raise InputError.of("translation.unknown_script")
    if any(unreadable):
        gr.Warning(say("translation.some_unknown", count=sum(unreadable)))
    return " ".join(r.text for r in results), nbest_json(results), results


def choosers(results: list[Translation]):
    """The sentence, layer and head choices and the n-best table for the translation just made."""
    layers, heads = results[0].cross_attention.shape[:2]
    sentences = [(f"{number}. {r.source[:60]}", number - 1) for number, r in enumerate(results, start=1)]
    return (gr.Dropdown(sentences, value=0, interactive=len(results) > 1),
            gr.Dropdown([(say("translation.decoder_layer", layer=i + 1), i) for i in range(layers)],
                        value=layers - 1),
            gr.Dropdown([(say("translation.mean_heads"), MEAN_OVER_HEADS)]
                        + [(say("translation.head_n", head=i + 1), i) for i in range(heads)], value=MEAN_OVER_HEADS),
            gr.Dataframe(nbest_rows(results), headers=nbest_headers(), visible=True))


@user_errors
def show(results: list[Translation], sentence: int, layer: int, head: int, granularity: str):
    """The heatmap of one sentence's cross-attention at (layer, head), as pieces or words, its word
    alignment, and the heatmap as PNG and SVG."""
    if not results:
        return gr.skip(), gr.skip(), gr.skip()
    chosen = results[int(sentence)]
    head = None if head == MEAN_OVER_HEADS else int(head)
    weights = attention_map(chosen.cross_attention, int(layer), head)
    words = merge_words(weights, chosen.source_tokens, chosen.target_tokens)
    if granularity == "words":
        weights, source, target = words.weights, words.source_words, words.target_words
    else:
        source, target = chosen.source_tokens, chosen.target_tokens
    heads = say("translation.mean_heads") if head is None else say("translation.head_n", head=head + 1)
    title = say("translation.plot.title", layer=int(layer) + 1, head=heads)
    files = exports.write("cross-attention", {"cross-attention.png": heatmap_png(weights, source, target, title),
                                              "cross-attention.svg": heatmap_svg(weights, source, target, title)})
    return heatmap_figure(weights, source, target, title), alignment_figure(words), files


def example_rows() -> list[list[str]]:
    """(direction key, sentence) of every example."""
    if not EXAMPLES.exists():
        return []
    return [line.split("\t") for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]


# ----------------------------------------------------------------------------------------------
# Layout

def build(registry: ModelRegistry, teacher: bool = False) -> TranslationInputs:
    """`teacher`: the first example sentence is already in place."""
    directions = model_choices(registry, "translation")
    rows = example_rows()
    with gr.Tab(t("translation.tab"), id="translation"):
        gr.Markdown(t("translation.intro"))
        results = gr.State([])
        with gr.Row():
            with gr.Column():
                source = gr.Textbox(rows[0][1] if teacher and rows else None, label=t("translation.source"), lines=4,
                                    elem_id="translation-input")
                direction = gr.Dropdown(directions, value=directions[0][1] if directions else None,
                                        label=t("translation.direction"))
                with gr.Row():
                    beams = gr.Slider(1, 8, value=4, step=1, label=t("translation.beams"))
                    length_penalty = gr.Slider(0, 2, value=1.0, step=0.1, label=t("translation.length_penalty"))
                with gr.Row():
                    run = gr.Button(t("translation.run"), variant="primary", scale=3)
                    to_attention = gr.Button(t("translation.to_attention"), elem_id="translation-send-attention", scale=1)
            with gr.Column():
                target = gr.Textbox(label=t("translation.target"), lines=4, elem_id="translation-output")
                nbest_table = gr.Dataframe(label=t("translation.nbest_table"), visible=False,
                                           interactive=False, wrap=True, elem_id="translation-nbest",
                                           column_widths=["11%", "8%", "45%", "13%", "10%", "13%"])
                with gr.Accordion(t("translation.nbest_json"), open=False, elem_classes=["developer"]):
                    nbest = gr.JSON(label=t("translation.nbest_json_label"))
        if rows:
            gr.Examples([[text, key] for key, text in rows], inputs=[source, direction], label=t("translation.examples"))
        gr.Markdown(t("translation.cross_heading"))
        with gr.Row():
            sentence = gr.Dropdown([("1.", 0)], value=0, label=t("translation.sentence"), interactive=False)
            layer = gr.Dropdown([("2", 1)], value=1, label=t("translation.layer"))
            head = gr.Dropdown([(t("translation.mean_heads"), MEAN_OVER_HEADS)], value=MEAN_OVER_HEADS,
                               label=t("translation.head"))
            granularity = gr.Radio([(t("translation.pieces"), "pieces"), (t("translation.words"), "words")],
                                   value="pieces", label=t("translation.tokens"))
        heatmap = gr.Plot(label=t("translation.heatmap"), elem_id="translation-heatmap")
        alignment = gr.Plot(label=t("translation.alignment"), elem_id="translation-alignment")
        files = gr.File(label=t("translation.exports"), file_count="multiple", elem_id="translation-export",
                        elem_classes=["developer"])
        concepts.note("translation")
        attributions.build_translation_section(registry, source, direction)

        views = [heatmap, alignment, files]
        view_inputs = [results, sentence, layer, head, granularity]
        (run.click(bind(translate, registry), [source, direction, beams, length_penalty],
                   [target, nbest, results], api_name=TRANSLATE_API, **model_queue("translate"))
            .success(choosers, results, [sentence, layer, head, nbest_table], api_visibility="private")
            .then(show, view_inputs, views, api_visibility="private"))
        for chooser in (sentence, layer, head, granularity):
            chooser.input(show, view_inputs, views, api_visibility="private", show_progress="hidden")
    return TranslationInputs(source, direction, to_attention)
