import pytest

pytestmark = pytest.mark.slow


def test_translate_endpoint_english_to_portuguese_with_nbest(client):
    text, nbest = client.predict("The cat is sleeping on the sofa. I like coffee.", "bergamot-en-pt", 4,
                                 api_name="/translate")
    assert "gato" in text.lower() and "café" in text.lower()
    assert [entry["source"] for entry in nbest] == ["The cat is sleeping on the sofa.", "I like coffee."]
    for entry in nbest:
        scores = [hypothesis["logprob"] for hypothesis in entry["hypotheses"]]
        assert len(scores) >= 2 and all(score <= 0 for score in scores)


def test_translate_endpoint_portuguese_to_english_greedy(client):
    text, nbest = client.predict("Eu gosto muito de aprender coisas novas.", "bergamot-pt-en", 1,
                                 api_name="/translate")
    assert "learn" in text.lower()
    assert len(nbest[0]["hypotheses"]) == 1


def test_translate_endpoint_takes_a_length_penalty_and_reports_normalised_scores(client):
    _, nbest = client.predict("The cat is sleeping on the sofa.", "bergamot-en-pt", 4, 0.0, api_name="/translate")
    hypotheses = nbest[0]["hypotheses"]
    assert all(h["score"] == h["logprob"] for h in hypotheses)  # α = 0: the score is the log-prob
    assert [h["score"] for h in hypotheses] == sorted((h["score"] for h in hypotheses), reverse=True)
    _, nbest = client.predict("The cat is sleeping on the sofa.", "bergamot-en-pt", 4, 1.0, api_name="/translate")
    assert all(h["score"] > h["logprob"] for h in nbest[0]["hypotheses"])  # divided by the length


def test_translate_endpoint_splits_long_text_into_sentences(client):
    text = " ".join(["The children are playing in the park.", "It will rain tomorrow!", "Where is the station?"] * 4)
    translation, nbest = client.predict(text, "bergamot-en-pt", 1, api_name="/translate")
    assert len(nbest) == 12 and "crianças" in translation.lower()


# ----------------------------------------------------------------------------------------------
# The tab's handlers, called directly

def test_translate_handler_refuses_text_the_model_cannot_read_and_says_its_progress():
    import gradio as gr
    import torch

    from models.registry import ModelRegistry
    from studio.translation import translate

    registry = ModelRegistry(torch.device("cpu"))
    said = []

    def progress(fraction, desc=None):
        said.append(desc)

    text, nbest, results = translate(registry, "The cat is sleeping.", "bergamot-en-pt", 2, 1.0, progress=progress)
    assert "gato" in text.lower() and len(nbest[0]["hypotheses"]) == 2 and results[0].cross_attention is not None
    assert said[-2:] == ["Translating 1-1 of 1", "Done"]
    with pytest.raises(gr.Error, match="knows none of these characters"):
        translate(registry, "😀🎉👍", "bergamot-en-pt", 1, 1.0, progress=progress)


def test_show_handler_draws_pieces_or_words_and_exports_png_and_svg():
    from pathlib import Path

    import numpy as np

    from models.translation.translators import Hypothesis, Translation
    from studio.translation import MEAN_OVER_HEADS, choosers, show

    source, target = ["▁The", "▁sofa", "s", "</s>"], ["▁Os", "▁sof", "ás", "</s>"]
    attention = np.random.default_rng(0).dirichlet(np.ones(len(source)), size=(2, 3, len(target)))
    translation = Translation("The sofas", "Os sofás", source, target,
                              [Hypothesis("Os sofás", target, -1.0, -0.25)], attention)
    sentence, layer, head, table = choosers([translation])
    assert layer.value == 1 and len(head.choices) == 1 + 3 and head.value == MEAN_OVER_HEADS
    assert table.value["data"][0][2] == "Os sofás"
    heatmap, alignment, files = show([translation], 0, 1, MEAN_OVER_HEADS, "pieces")
    np.testing.assert_allclose(heatmap.data[0].z, attention[1].mean(axis=0))
    assert list(heatmap.layout.xaxis.ticktext) == ["▁The", "▁sofa", "s", "&lt;/s&gt;"]
    assert [Path(path).name for path in files] == ["cross-attention.png", "cross-attention.svg"]
    assert all(Path(path).stat().st_size > 0 for path in files)
    heatmap, alignment, _ = show([translation], 0, 0, 2, "words")
    assert list(heatmap.layout.yaxis.ticktext) == ["Os", "sofás", "&lt;/s&gt;"]
    np.testing.assert_allclose(np.asarray(heatmap.data[0].z).sum(axis=1), 1.0)
    assert alignment.data[-1].text == ("Os", "sofás", "&lt;/s&gt;")  # the target words, below
