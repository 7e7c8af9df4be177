import pytest
from gradio_client.exceptions import AppError

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


@pytest.mark.parametrize("text", ["", "   \n\t  ", "\x00\x01\x02"])
def test_translate_endpoint_explains_empty_text(client, text):
    with pytest.raises(AppError, match="no text"):
        client.predict(text, "bergamot-en-pt", 1, api_name="/translate")
