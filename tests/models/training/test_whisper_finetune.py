"""The whisper-finetune task on the real Whisper tiny.en: a short run on a few espeak-ng phrases lowers the held-out
word error rate, what it saves reloads as a recognizer, the encoder states are kept and a broken file is made
again; bad clip sets are refused in words."""
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from models.errors import InputError
from models.speech.audio import SAMPLE_RATE
from models.speech.recognizer import load_speech_model
from models.speech.spoken_set import espeak
from models.training import saved
from models.training.clip_sets import MIN_CLIPS, clip_set, save_clips
from models.training.config import TrainConfig
from models.training.loop import fit
from models.training.tasks import build_model, load_task
from models.training.tasks.whisper_finetune import examples, prepare, states_file
from models.training.whisper_compare import compare, held_out_clips

pytestmark = pytest.mark.slow  # the encoder reads 30 s windows (about a second a clip), then the decoder trains

PHRASES = ["Siobhan deployed the new Kubernetes cluster.", "Niamh fine-tuned Whisper with LoRA adapters.",
           "Aoife saved the weights as safetensors.", "Caoimhe measured the perplexity of SmolLM2."]
VOICES = ["en-us", "en-gb+m3", "en-us+f2"]


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDIO_DATA_DIR", str(tmp_path_factory.mktemp("studio-data")))
        yield


@pytest.fixture(scope="module")
def phrases(data_folder) -> str:
    """Four phrases with names tiny.en gets wrong, each in three espeak-ng voices, stored as the user's clips."""
    clips = [espeak(phrase, voice, 165, 50) for voice in VOICES for phrase in PHRASES]
    return save_clips(clips, [phrase for _ in VOICES for phrase in PHRASES])


def test_a_short_decoder_run_lowers_held_out_wer_and_reloads_as_a_recognizer(phrases):
    config = TrainConfig("whisper-finetune", "decoder", "adamw", 1e-3, batch_size=4, epochs=4, dataset=phrases)
    train, validation = load_task("whisper-finetune", phrases).split(config.validation_split, config.seed)
    assert train.inputs[0].shape[1:] == (1500, 384) and len(validation) == 2
    torch.manual_seed(config.seed)
    model = build_model("whisper-finetune", "decoder", train)
    outcome = fit(model, train, validation, config)
    assert outcome.status == "finished", outcome.message

    kept = saved.save(9101, config, model, [], outcome.metrics["validation_accuracy"])
    weights = load_file(kept.folder / saved.WEIGHTS)
    assert weights and all(name.startswith("model.decoder.layer") for name in weights)  # layers and layer_norm
    tuned = saved.load_saved_model(str(kept.folder), torch.device("cpu"))
    assert tuned.precision == "int8"  # transcribes as the packaged tiny.en it is compared with does
    compared = compare(kept, load_speech_model("package:tiny.en", torch.device("cpu")), tuned)
    print(f"held-out WER {compared.wer_before:.1%} -> {compared.wer_after:.1%}", compared.after)
    assert compared.references == held_out_clips(kept).texts and len(compared.after) == 2
    assert compared.wer_after < compared.wer_before


def test_a_lora_run_saves_only_its_adapter_and_the_merged_model_gives_the_same_tokens(phrases):
    config = TrainConfig("whisper-finetune", "lora-16", "adamw", 2e-3, batch_size=4, epochs=1, dataset=phrases)
    train, validation = load_task("whisper-finetune", phrases).split(config.validation_split, config.seed)
    torch.manual_seed(config.seed)
    model = build_model("whisper-finetune", "lora-16", train)
    assert fit(model, train, validation, config).status == "finished"
    kept = saved.save(9102, config, model, [], None)
    weights = load_file(kept.folder / saved.WEIGHTS)
    assert weights and all(".lora_A." in name or ".lora_B." in name for name in weights)
    assert sum(tensor.numel() for tensor in weights.values()) == 4 * 4 * 16 * (384 + 384)  # 4 layers, q and v of 2
    recognizer = saved.load_saved_model(str(kept.folder), torch.device("cpu"))
    states, ids = validation.inputs[0][:1], validation.inputs[1][:1]
    with torch.inference_mode():
        expected = model.eval()(states, ids)
        got = recognizer.model(encoder_outputs=(states.float(),), decoder_input_ids=ids).logits
    torch.testing.assert_close(got, expected, atol=2e-4, rtol=0)


def test_encoder_states_are_kept_and_a_truncated_file_is_made_again(phrases):
    kept, path = prepare(phrases), states_file(phrases)
    assert path.is_file()
    path.write_bytes(path.read_bytes()[:1000])
    examples.cache_clear()
    torch.testing.assert_close(prepare(phrases), kept)
    assert len(load_file(path)["states"]) == len(clip_set(phrases).clips)


def test_bad_clip_sets_are_refused_in_words(data_folder):
    speech = espeak(PHRASES[0], "en-us", 165, 50)
    with pytest.raises(InputError) as error:
        save_clips([speech] * MIN_CLIPS, PHRASES[:MIN_CLIPS - 1])
    assert error.value.key == "whisper.count_mismatch"
    with pytest.raises(InputError) as error:
        save_clips([speech] * (MIN_CLIPS - 1), PHRASES[:MIN_CLIPS - 1])
    assert error.value.key == "whisper.clip_count"
    with pytest.raises(InputError) as error:
        save_clips([speech] * MIN_CLIPS, [*PHRASES[:MIN_CLIPS - 1], "  "])
    assert error.value.key == "whisper.no_text" and error.value.values["clip"] == MIN_CLIPS
    silent = np.zeros(SAMPLE_RATE, dtype=np.float32)
    with pytest.raises(InputError) as error:
        save_clips([speech, silent, speech, speech], PHRASES[:MIN_CLIPS])
    assert error.value.key == "whisper.bad_clip" and error.value.values["clip"] == 2
    with pytest.raises(InputError) as error:
        save_clips([np.tile(speech, 20)] + [speech] * 3, PHRASES[:MIN_CLIPS])
    assert error.value.key == "whisper.clip_too_long"
    with pytest.raises(InputError) as error:
        clip_set("nosuchset")
    assert error.value.key == "whisper.no_clip_set"
