"""Whisper from the CTranslate2 packages: the port against the CT2 runtime, the wrapper, audio I/O."""
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from models.speech.audio import MAX_AUDIO_SECONDS, SAMPLE_RATE, check_speech, load_audio, to_16k_mono
from models.batching import SLOW_MODEL_NICENESS
from models.errors import InputError
from models.speech.recognizer import TransposedProjection, Window, load_speech_model, loop_start
from models.metrics import word_error_rate
from tests.at_once import at_once
from tests.tests_paths import speech_clips
from models.speech.whisper_ct2 import packaged_model_files

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def tiny_en():
    return load_speech_model("package:tiny.en", CPU)


@pytest.fixture(scope="module")
def base():
    return load_speech_model("package:base", CPU)


@pytest.fixture(scope="module")
def tiny_en_float():
    """Files transcribed by the float model too, as on CUDA."""
    return load_speech_model("package:tiny.en", CPU, precision="float")


def ct2_runtime(name: str, folder: Path):
    """The original CTranslate2 model; its loader wants one model.bin in a folder."""
    ctranslate2 = pytest.importorskip("ctranslate2")
    config_folder, parts = packaged_model_files(name)
    if len(parts) > 1:
        with open(folder / "model.bin", "wb") as joined:
            for part in parts:
                joined.write(part.read_bytes())
        for file in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copy(config_folder / file, folder / file)
        config_folder = folder
    return ctranslate2.models.Whisper(str(config_folder), device="cpu", compute_type="float32", intra_threads=2)


def assert_same_greedy_tokens(recognizer, runtime, prompt_tokens: list[str], generate_options: dict):
    import ctranslate2

    prompt = recognizer.tokenizer.convert_tokens_to_ids(prompt_tokens)
    for path, _ in speech_clips("en"):
        features = recognizer.features(load_audio(path))
        port = recognizer.model.generate(features, **generate_options)[0].tolist()
        reference = runtime.generate(ctranslate2.StorageView.from_array(features.numpy()), [prompt], beam_size=1)
        assert port == reference[0].sequences_ids[0], path.name


@pytest.mark.slow
def test_tiny_en_greedy_tokens_equal_ct2_runtime(tiny_en, tmp_path):
    runtime = ct2_runtime("tiny.en", tmp_path)
    assert_same_greedy_tokens(tiny_en, runtime, ["<|startoftranscript|>", "<|notimestamps|>"], {})


@pytest.mark.slow
def test_base_greedy_tokens_equal_ct2_runtime(base, tmp_path):
    runtime = ct2_runtime("base", tmp_path)
    prompt = ["<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>"]
    assert_same_greedy_tokens(base, runtime, prompt, {"language": "en", "task": "transcribe"})


def test_word_error_rate():
    assert word_error_rate("The cat sat.", "the cat sat") == 0
    assert word_error_rate("a b c d", "a x c") == 0.5  # one substitution, one deletion


@pytest.mark.slow
def test_tiny_en_transcribes_english_clips(tiny_en):
    references, hypotheses = [], []
    for path, reference in speech_clips("en"):
        transcript = tiny_en.transcribe(load_audio(path))
        references.append(reference)
        hypotheses.append(transcript.text)
        assert transcript.language == "en"
        assert transcript.segments and 0 <= transcript.segments[0].start < transcript.segments[-1].end
        assert transcript.segments[-1].end <= transcript.audio_seconds + 0.01
        token = transcript.tokens[0]
        assert 0 < token.probability <= 1 and len(token.alternatives) == 5
        assert token.alternatives[0][1] >= token.alternatives[-1][1]
    assert word_error_rate(" ".join(references), " ".join(hypotheses)) <= 0.35, hypotheses


@pytest.mark.slow
def test_base_transcribes_english_and_detects_chinese(base):
    assert base.multilingual and {"en", "zh", "de"} <= set(base.languages)
    path, reference = speech_clips("en")[0]
    transcript = base.transcribe(load_audio(path), language="en")
    assert transcript.language == "en"
    assert word_error_rate(reference, transcript.text) <= 0.35, transcript.text

    path, _ = speech_clips("zh")[0]
    transcript = base.transcribe(load_audio(path))
    assert transcript.language == "zh"
    assert re.search(r"[\u4e00-\u9fff]", transcript.text), transcript.text


def test_english_only_model_refuses_other_languages_and_translation(tiny_en):
    samples = load_audio(speech_clips("en")[0][0])
    assert tiny_en.languages == ["en"] and not tiny_en.multilingual
    with pytest.raises(InputError, match="speech.english_only_language"):
        tiny_en.transcribe(samples, language="zh")
    with pytest.raises(InputError, match="speech.english_only_translate"):
        tiny_en.transcribe(samples, task="translate")
    with pytest.raises(InputError, match="speech.unknown_task"):
        tiny_en.check_options(None, "summarise")
    assert tiny_en.check_options(None, "transcribe") == "en"


def test_word_timestamps_cover_the_transcript_in_order(tiny_en):
    path, _ = speech_clips("en")[0]
    transcript = tiny_en.transcribe(load_audio(path), word_timestamps=True)
    assert [word.text for word in transcript.words] == transcript.text.split()
    starts = [word.start for word in transcript.words]
    assert starts == sorted(starts) and starts[0] > 0.05  # espeak-ng starts after a short silence
    assert all(word.start < word.end <= transcript.audio_seconds + 0.01 for word in transcript.words)
    assert all(0 < word.probability <= 1 for word in transcript.words)
    assert not tiny_en.transcribe(load_audio(path)).words


def test_fitted_encoder_window_is_the_encoder_itself_on_fewer_frames(tiny_en):
    features = tiny_en.features(load_audio(speech_clips("en")[0][0]))
    with torch.no_grad():
        full = tiny_en.model.get_encoder()(features).last_hidden_state
    assert torch.allclose(tiny_en.encode(features, 30.0).last_hidden_state, full, atol=1e-4)
    assert tiny_en.encode(features, 5.0).last_hidden_state.shape[1] == 250


@pytest.mark.slow
def test_fitted_encoder_window_keeps_accuracy_on_the_english_clips(tiny_en):
    references, full, fitted = [], [], []
    for path, reference in speech_clips("en"):
        samples = load_audio(path)
        references.append(reference)
        full.append(tiny_en.transcribe(samples).text)
        fitted.append(tiny_en.transcribe(samples, fit_window_to_audio=True).text)
    full_wer = word_error_rate(" ".join(references), " ".join(full))
    assert word_error_rate(" ".join(references), " ".join(fitted)) <= full_wer + 0.05, fitted


def test_output_projection_gives_the_tied_embedding_logits(tiny_en):
    hidden = torch.randn(1, 3, tiny_en.model.config.d_model)
    embedding = tiny_en.model.get_decoder().embed_tokens.weight
    with torch.no_grad():
        assert torch.allclose(tiny_en.model.proj_out(hidden), torch.nn.functional.linear(hidden, embedding), atol=1e-4)


def test_on_cpu_text_is_decoded_by_an_int8_copy_and_attention_is_read_from_the_float_model(tiny_en, tiny_en_float):
    assert tiny_en.precision == "int8" and tiny_en_float.precision == "float"
    assert tiny_en.text_model is not tiny_en.model and tiny_en_float.text_model is tiny_en_float.model
    assert not [name for name, module in tiny_en.text_model.named_modules() if isinstance(module, torch.nn.Linear)]
    assert isinstance(tiny_en.model.proj_out, TransposedProjection)
    assert isinstance(tiny_en.model.model.decoder.layers[0].fc1, torch.nn.Linear)
    with pytest.raises(ValueError, match="precision"):
        load_speech_model("package:tiny.en", CPU, precision="int4")


@pytest.mark.slow
def test_a_multilingual_model_keeps_the_float_model_for_files():
    """int8 doubled base's Chinese CER on the bench clips (bench/RESULTS.md): multilingual models stay float."""
    base = load_speech_model("package:base", CPU)
    assert base.multilingual and base.precision == "float" and base.text_model is base.model


def test_word_timestamps_leave_the_text_models_encoder_on_sdpa_attention(tiny_en):
    """transformers' generate switches to eager attention for word timestamps and stays there; the text model's
    encoder keeps SDPA, so it stays fast and a first transcription computes as the later ones, files and live."""
    samples = load_audio(speech_clips("en")[0][0])
    before = tiny_en.transcribe(samples)
    tiny_en.transcribe(samples, word_timestamps=True)
    tiny_en.transcribe(samples, word_timestamps=True, fit_window_to_audio=True, prompt="Hello.")
    assert {layer.self_attn.config._attn_implementation for layer in tiny_en.text_model.get_encoder().layers} == {"sdpa"}
    after = tiny_en.transcribe(samples)
    assert after.text == before.text and [token.probability for token in after.tokens] == pytest.approx(
        [token.probability for token in before.tokens], abs=1e-4)


def test_file_windows_are_decoded_at_a_slow_models_priority(tiny_en):
    """A window is seconds of CPU: under load the fast models (classify, translate) get the cores first."""
    assert tiny_en.window_batcher.niceness == SLOW_MODEL_NICENESS


@pytest.mark.slow
def test_int8_transcribes_the_english_clips_as_well_as_float(tiny_en, tiny_en_float):
    clips = speech_clips("en")
    reference = " ".join(text for _, text in clips)

    def error_rate(recognizer) -> float:
        return word_error_rate(reference, " ".join(recognizer.transcribe(load_audio(path)).text for path, _ in clips))

    int8, float32 = error_rate(tiny_en), error_rate(tiny_en_float)
    assert int8 <= float32 + 0.02, (int8, float32)


def test_suppression_masks_made_once_give_what_transformers_processors_give(tiny_en):
    """The studio's suppression (a sequence bias and SuppressAtFirstStep) against generate's own processors, which
    rebuild their masks at every step: the same tokens and scores."""
    recognizer = tiny_en
    window = Window(recognizer.features(load_audio(speech_clips("en")[0][0])), 4.0, "en", "transcribe", False)
    decoded, = recognizer._generate([window])
    with torch.no_grad():
        output = recognizer.model.generate(encoder_outputs=recognizer.encode_windows(window.features),
                                           return_timestamps=True, return_dict_in_generate=True, output_scores=True,
                                           force_unique_generate_call=True, max_length=len(decoded.generated) + 1)
    steps = len(decoded.generated)
    assert output.sequences[0, -len(output.scores):].tolist()[:steps] == decoded.generated
    torch.testing.assert_close(torch.cat(output.scores[:steps]).float(), decoded.scores, atol=0, rtol=0)


def test_a_loop_is_found_where_its_second_copy_begins():
    assert loop_start([9, 1, 2, 3, 1, 2, 3, 1, 2, 3]) == 4
    assert loop_start([9, 1, 2, 1, 2]) is None  # two copies are not yet a loop
    assert loop_start([5, 5, 5, 5]) is None and loop_start([5, 5, 5, 5, 5]) == 1  # one token: five copies
    assert loop_start([1, 2, 3, 4]) is None


def test_stop_ends_decoding_at_once(tiny_en):
    path, _ = speech_clips("en")[0]
    transcript = tiny_en.transcribe(load_audio(path), stop=lambda: True)
    assert len(transcript.tokens) <= 1


def test_previous_text_prompt_is_accepted(tiny_en):
    path, reference = speech_clips("en")[0]
    transcript = tiny_en.transcribe(load_audio(path), prompt="It is a lovely day. The forecast says:")
    assert word_error_rate(reference, transcript.text) <= 0.35, transcript.text


@pytest.mark.slow
def test_long_audio_is_split_into_windows_with_progress(tiny_en):
    speech = load_audio(speech_clips("en")[0][0])
    gap = np.zeros(SAMPLE_RATE * 27, dtype=np.float32)
    updates = []
    transcript = tiny_en.transcribe(np.concatenate([speech, gap, speech]), progress=lambda *update: updates.append(update),
                                    word_timestamps=True)
    assert [fraction for fraction, _ in updates] == [0.5, 1.0]
    assert all(message.key == "speech.transcribed" for _, message in updates)  # said by the studio
    assert updates[-1][1].values == {"seconds": transcript.audio_seconds, "total": transcript.audio_seconds}
    assert transcript.text.count("breeze") == 2
    breezes = [word for word in transcript.words if "breeze" in word.text]
    assert breezes[0].end < 4.5 and 30 < breezes[1].start < transcript.audio_seconds
    assert 29 <= transcript.segments[-1].start < transcript.segments[-1].end <= transcript.audio_seconds + 0.01


@pytest.mark.slow  # the first librosa resample is slow
def test_load_audio_resamples_44k_stereo(tmp_path):
    seconds = 0.5
    time_axis = np.arange(int(44100 * seconds)) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * time_axis), np.zeros_like(time_axis)], axis=1) * 0.5
    soundfile.write(tmp_path / "stereo.wav", stereo, 44100)
    samples = load_audio(tmp_path / "stereo.wav")
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) - SAMPLE_RATE * seconds) <= 2
    assert 0.2 < np.abs(samples).max() < 0.3  # the two channels are averaged


@pytest.mark.parametrize("format_name, suffix", [("MP3", ".mp3"), ("OGG", ".ogg"), ("FLAC", ".flac")])
def test_load_audio_compressed_formats(tmp_path, format_name, suffix):
    if format_name not in soundfile.available_formats():
        pytest.skip(f"libsndfile here cannot write {format_name}")
    clip = load_audio(speech_clips("en")[0][0])
    soundfile.write(tmp_path / f"clip{suffix}", clip, SAMPLE_RATE, format=format_name)
    samples = load_audio((tmp_path / f"clip{suffix}").read_bytes())
    assert abs(len(samples) - len(clip)) < SAMPLE_RATE * 0.1


def test_gradio_int16_stereo_tuple_becomes_16k_mono():
    samples = (np.random.default_rng(0).uniform(-1, 1, (48000, 2)) * 20000).astype(np.int16)
    mono = to_16k_mono(samples, 48000)
    assert mono.dtype == np.float32 and mono.shape == (16000,)
    assert np.abs(mono).max() <= 1


def test_bad_audio_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        load_audio(b"this is not audio at all" * 10)
    with pytest.raises(InputError):
        load_audio(tmp_path / "missing.wav")
    with pytest.raises(InputError, match="audio.empty"):
        check_speech(np.zeros(0, dtype=np.float32))
    with pytest.raises(InputError, match="audio.silent"):
        check_speech(np.zeros(SAMPLE_RATE * 2, dtype=np.float32))
    with pytest.raises(InputError, match="audio.too_long"):
        check_speech(np.full(SAMPLE_RATE * (MAX_AUDIO_SECONDS + 1), 0.1, dtype=np.float32))
    check_speech(load_audio(speech_clips("en")[0][0]))


@pytest.mark.slow
def test_hugging_face_folder_loads_through_the_same_api(tmp_path):
    from transformers import (
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizerFast,
    )

    folder, _ = packaged_model_files("tiny.en")
    tokenizer = WhisperTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    processor = WhisperProcessor(feature_extractor=WhisperFeatureExtractor(), tokenizer=tokenizer)
    config = WhisperConfig(
        vocab_size=len(tokenizer),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_target_positions=32,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        decoder_start_token_id=tokenizer.convert_tokens_to_ids("<|startoftranscript|>"),
    )
    torch.manual_seed(0)
    WhisperForConditionalGeneration(config).save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)

    recognizer = load_speech_model(str(tmp_path), CPU)
    transcript = recognizer.transcribe(load_audio(speech_clips("en")[0][0]))
    assert recognizer.languages == ["en"]
    assert transcript.language == "en" and isinstance(transcript.text, str)
    assert len(transcript.tokens) <= config.max_target_positions


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["float", "int8"])
def test_clips_transcribed_at_once_run_as_one_batch_and_get_what_each_gets_alone(precision):
    """Clips of different lengths decoded as one batch: each row stops on its own and its word times come from its
    own cross-attention, so each clip gets what it gets alone (int8 decodes a batch's windows one by one)."""
    tiny_en = load_speech_model("package:tiny.en", CPU, precision=precision)
    paths = {path.stem: path for path, _ in speech_clips("en")}
    clips = [load_audio(paths[name]) for name in ("en_weather", "natural_bakery", "natural_lights", "en_coffee")]
    def transcribe(samples):
        return tiny_en.transcribe(samples, word_timestamps=True)

    alone = [transcribe(samples) for samples in clips]
    batches = len(tiny_en.window_batcher.batch_sizes)

    together = at_once(transcribe, clips)

    assert max(tiny_en.window_batcher.batch_sizes[batches:]) > 1, "the clips ran one at a time"
    for single, batched in zip(alone, together):
        assert batched.text == single.text and batched.segments == single.segments
        assert [(w.text, w.start, w.end) for w in batched.words] == [(w.text, w.start, w.end) for w in single.words]
        assert [t.text for t in batched.tokens] == [t.text for t in single.tokens]
        # a batched GEMM sums in another order: the same probabilities to float32 rounding
        assert [t.probability for t in batched.tokens] == pytest.approx([t.probability for t in single.tokens], abs=1e-4)


@pytest.mark.slow
def test_a_row_that_reaches_its_own_token_cap_in_a_batch_stops_there(tiny_en):
    """A window of a tenth of a second may have 17 tokens; the longer clip beside it decodes on."""
    paths = {path.stem: path for path, _ in speech_clips("en")}
    long_features = tiny_en.features(load_audio(paths["natural_bakery"]))  # 9 s, some 40 tokens
    windows = [Window(long_features, 0.1, "en", "transcribe", True),
               Window(tiny_en.features(load_audio(paths["en_weather"])), 4.0, "en", "transcribe", True),
               Window(long_features, 20.0, "en", "transcribe", True)]

    batched = tiny_en._generate(windows)

    for window, decoded in zip(windows, batched):
        single, = tiny_en._generate([window])
        assert decoded.generated == single.generated and decoded.times == single.times
        torch.testing.assert_close(decoded.scores, single.scores, atol=1e-4, rtol=0)
    assert len(batched[0].generated) < len(batched[2].generated)
