"""Translation tab: English ↔ Portuguese with greedy or beam search, the n-best list, and the
cross-attention that shows which source words each target word was translated from."""
import html
from dataclasses import dataclass

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from models.translation.alignment import attention_map, heatmap_png, heatmap_svg, merge_words
from models.errors import InputError
from models.registry import ModelRegistry
from models.translation.sentences import split_sentences
from models.translation.translators import Translation
from studio import concepts, exports
from studio.common import ASSETS, MODEL_QUEUE, load_model, model_choices, user_errors
from studio.i18n import say, t

MEAN_OVER_HEADS = -1
NBEST_COLUMNS = ["sentence", "rank", "translation", "logprob", "tokens", "score"]  # keys translation.column.*


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


def nbest_headers() -> list[str]:
    return [say(f"translation.column.{column}") for column in NBEST_COLUMNS]


def nbest_rows(translations: list[Translation]) -> list[list]:
    return [[number, rank, hypothesis.text, round(hypothesis.logprob, 3), len(hypothesis.tokens),
             round(hypothesis.score, 3)]
            for number, translation in enumerate(translations, start=1)
            for rank, hypothesis in enumerate(translation.nbest, start=1)]


def spread(count: int) -> list[float]:
    """x positions for `count` words spread evenly over [0, 1], so both rows of words are as wide."""
    return [(i + 0.5) / count for i in range(count)]


def heatmap_figure(weights: np.ndarray, source: list[str], target: list[str], title: str) -> go.Figure:
    """Target tokens down, source tokens across; positions on the axes so repeated tokens stay apart."""
    # plotly reads labels as HTML: </s> would vanish
    source, target = [html.escape(t) for t in source], [html.escape(t) for t in target]
    hover = np.array([[[t, s] for s in source] for t in target], dtype=object)
    figure = go.Figure(go.Heatmap(
        z=weights, colorscale="Viridis", zmin=0, customdata=hover,
        hovertemplate="%{customdata[0]} → %{customdata[1]}<br>weight %{z:.3f}<extra></extra>"))
    figure.update_xaxes(tickvals=list(range(len(source))), ticktext=source, side="top")
    figure.update_yaxes(tickvals=list(range(len(target))), ticktext=target, autorange="reversed")
    figure.update_layout(title=title, height=240 + 26 * len(target), margin=dict(t=120, r=20, b=20))
    return figure


def alignment_figure(source_words: list[str], target_words: list[str], weights: np.ndarray,
                     links: list[tuple[int, int]]) -> go.Figure:
    """Source words on top, target words below, a line from each target word to the source word
    it attends to most; the darker the line, the larger the weight."""
    source_words, target_words = [html.escape(w) for w in source_words], [html.escape(w) for w in target_words]
    source_x, target_x = spread(len(source_words)), spread(len(target_words))
    figure = go.Figure()
    for target, source in links:
        weight = float(weights[target, source])
        figure.add_trace(go.Scatter(
            x=[source_x[source], target_x[target]], y=[1, 0], mode="lines", line=dict(width=1 + 4 * weight),
            opacity=0.25 + 0.75 * weight, hoverinfo="text", showlegend=False, marker_color="#4338ca",
            text=f"{target_words[target]} → {source_words[source]}: {weight:.3f}"))
    for words, x, y, position in [(source_words, source_x, 1, "top center"),
                                  (target_words, target_x, 0, "bottom center")]:
        figure.add_trace(go.Scatter(x=x, y=[y] * len(words), mode="markers+text",
                                    text=words, textposition=position, hoverinfo="text", showlegend=False,
                                    marker=dict(size=7, color="#1e1b4b")))
    figure.update_xaxes(visible=False, range=[0, 1])
    figure.update_yaxes(visible=False, range=[-0.5, 1.5])
    figure.update_layout(height=260, margin=dict(t=30, l=20, r=20, b=20), plot_bgcolor="white",
                         title=say("translation.plot.alignment"))
    return figure


def build(registry: ModelRegistry, teacher: bool = False) -> TranslationInputs:
    """`teacher`: the first example sentence is already in place."""
    directions = model_choices(registry, "translation")

    @user_errors
    def translate(text, direction, beams, length_penalty, progress=gr.Progress()):
        sentences = split_sentences(text or "")
        translator = load_model(registry, direction, progress)
        beams = int(beams)
        results = translator.translate(sentences, beam_size=beams, n_best=min(beams, 5),
                                       length_penalty=float(length_penalty), with_attention=True,
                                       progress=lambda fraction, message: progress(fraction, desc=message))
        unknown = [set(r.source_tokens) <= {"▁", "<unk>", "</s>"} for r in results]
        if all(unknown):
            raise InputError(say("translation.unknown_script"))
        if any(unknown):
            gr.Warning(say("translation.some_unknown", count=sum(unknown)))
        nbest = [{"source": r.source,
                  "hypotheses": [{"text": h.text, "logprob": round(h.logprob, 3), "score": round(h.score, 3)}
                                 for h in r.nbest]}
                 for r in results]
        return " ".join(r.text for r in results), nbest, results

    def choosers(results):
        """The n-best table, and the sentence, layer and head choices for the translation just made."""
        layers, heads = results[0].cross_attention.shape[:2]
        sentences = [(f"{number}. {r.source[:60]}", number - 1) for number, r in enumerate(results, start=1)]
        return (gr.Dropdown(sentences, value=0, interactive=len(results) > 1),
                gr.Dropdown([(say("translation.decoder_layer", layer=i + 1), i) for i in range(layers)],
                            value=layers - 1),
                gr.Dropdown([(say("translation.mean_heads"), MEAN_OVER_HEADS)]
                            + [(say("translation.head_n", head=i + 1), i) for i in range(heads)], value=MEAN_OVER_HEADS),
                gr.Dataframe(nbest_rows(results), headers=nbest_headers(), visible=True))

    @user_errors
    def show(results, sentence, layer, head, granularity):
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
        return (heatmap_figure(weights, source, target, title),
                alignment_figure(words.source_words, words.target_words, words.weights, words.links), files)

    examples = ASSETS / "text" / "examples.tsv"
    rows = ([line.split("\t") for line in examples.read_text(encoding="utf-8").splitlines() if line.strip()]
            if examples.exists() else [])
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
            granularity = gr.Radio([(t("translation.pieces"), "pieces"), (t("translation.words"), "words")], value="pieces",
                                   label=t("translation.tokens"))
        heatmap = gr.Plot(label=t("translation.heatmap"),
                          elem_id="translation-heatmap")
        alignment = gr.Plot(label=t("translation.alignment"), elem_id="translation-alignment")
        exports = gr.File(label=t("translation.exports"), file_count="multiple", elem_id="translation-export",
                          elem_classes=["developer"])
        concepts.note("translation")

        views = [heatmap, alignment, exports]
        view_inputs = [results, sentence, layer, head, granularity]
        (run.click(translate, [source, direction, beams, length_penalty], [target, nbest, results],
                   api_name="translate", **MODEL_QUEUE)
            .success(choosers, results, [sentence, layer, head, nbest_table], api_visibility="private")
            .then(show, view_inputs, views, api_visibility="private"))
        for chooser in (sentence, layer, head, granularity):
            chooser.input(show, view_inputs, views, api_visibility="private", show_progress="hidden")
    return TranslationInputs(source, direction, to_attention)
