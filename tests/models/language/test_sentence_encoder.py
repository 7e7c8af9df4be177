import numpy as np
import pytest
import torch

from models.errors import InputError
from models.language.sentence_encoder import load_sentence_encoder, packaged_minilm_folder
from tests.at_once import at_once


@pytest.fixture(scope="module")
def minilm():
    return load_sentence_encoder("package:all-minilm-l6-v2", torch.device("cpu"))


def test_paraphrases_are_closer_than_unrelated_sentences(minilm):
    vectors = minilm.embed(["A cat sits on the sofa.", "A kitten is lying on the couch.",
                            "Stock markets fell sharply today."]).vectors
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.5 > similarity[0, 2] + 0.3
    assert vectors.shape == (3, 384)


def test_matches_a_plain_transformers_mean_pool(minilm):
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(packaged_minilm_folder())
    model = AutoModel.from_pretrained(packaged_minilm_folder())
    batch = tokenizer(["Attention is all you need."], return_tensors="pt")
    with torch.no_grad():
        reference = torch.nn.functional.normalize(model(**batch).last_hidden_state.mean(1), dim=-1)[0]
    ours = minilm.embed(["Attention is all you need."])
    assert torch.allclose(torch.from_numpy(ours.vectors[0]), reference, atol=1e-5)
    assert ours.tokens[0][0] == "[CLS]" and ours.tokens[0][-1] == "[SEP]"


def test_empty_text_is_refused(minilm):
    with pytest.raises(InputError):
        minilm.embed(["   "])


def test_hugging_face_folder_loads_through_from_pretrained(tmp_path):
    from transformers import AutoTokenizer, BertConfig, BertModel

    AutoTokenizer.from_pretrained(packaged_minilm_folder()).save_pretrained(tmp_path)
    BertModel(BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=64)).save_pretrained(tmp_path)
    assert load_sentence_encoder(str(tmp_path), torch.device("cpu")).embed(["hi"]).vectors.shape == (1, 32)


def test_calls_embedded_at_once_run_as_one_batch_and_get_what_each_gets_alone(minilm):
    """Texts of different lengths padded into one batch: the mask keeps each vector what it is alone."""
    calls = [["A cat sits on the sofa.", "Hi."], ["The weather is lovely today, isn't it, my dear old friend?"],
             ["Attention is all you need."], ["Stock markets fell sharply today.", "x", "Paris in the spring."]]
    alone = [minilm.embed(texts) for texts in calls]
    batches = len(minilm.batcher.batch_sizes)

    together = at_once(minilm.embed, calls)

    assert max(minilm.batcher.batch_sizes[batches:]) > 1, "the calls ran one at a time"
    for single, batched in zip(alone, together):
        assert batched.tokens == single.tokens
        np.testing.assert_allclose(batched.vectors, single.vectors, atol=1e-6)
