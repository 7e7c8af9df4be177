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
