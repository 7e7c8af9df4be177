"""Fine-tuning Whisper through the launched app's API: clips sent with their text, a short run, the fine-tuned
model against the original on the held-out clips, then the fine-tuned model transcribing in the Speech tab's
API; mismatched clips and texts said in words."""
import pytest
import soundfile
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from models.speech.audio import SAMPLE_RATE
from models.speech.spoken_set import espeak

pytestmark = pytest.mark.slow

PHRASES = ["Siobhan deployed the new Kubernetes cluster.", "Ask Nguyen to review the PyTorch checkpoint.",
           "Niamh fine-tuned Whisper with LoRA adapters.", "Saoirse plotted the ReLU and the GELU activations."]
VOICES = ["en-us", "en-gb+m3", "en-us+f2"]


@pytest.fixture(scope="module")
def clip_files(tmp_path_factory) -> list[str]:
    """Each phrase in each voice, as wav files (the order of PHRASES within each voice)."""
    folder = tmp_path_factory.mktemp("clips")
    paths = []
    for voice in VOICES:
        for number, phrase in enumerate(PHRASES):
            path = folder / f"{voice}-{number}.wav"
            soundfile.write(path, espeak(phrase, voice, 165, 50), SAMPLE_RATE)
            paths.append(str(path))
    return paths


def test_a_run_on_sent_clips_lowers_held_out_wer_and_the_model_transcribes(client, clip_files):
    texts = PHRASES * len(VOICES)
    dataset = client.predict([handle_file(path) for path in clip_files], texts, api_name="/finetune_clips")
    result = client.predict(task="whisper-finetune", variant="decoder", optimizer="adamw", learning_rate=1e-3,
                            batch_size=4, epochs=4, dataset=dataset, api_name="/train")
    assert result["status"] == "finished", result["message"]
    assert result["saved_model"] == f"trained-run-{result['run_id']}"

    compared = client.predict(result["run_id"], api_name="/compare_speech_models")
    print(compared)
    assert set(compared["references"]) <= set(PHRASES) and len(compared["after"]) == len(compared["references"])
    assert compared["wer_after"] < compared["wer_before"]

    text = client.predict(handle_file(clip_files[0]), result["saved_model"], "en", "transcribe", api_name="/transcribe")[0]
    assert "Siobhan" in text  # trained on that phrase in this voice


def test_clips_and_texts_that_do_not_match_are_refused_in_words(client, clip_files):
    with pytest.raises(AppError, match="4 clips but 3 lines of text"):
        client.predict([handle_file(path) for path in clip_files[:4]], PHRASES[:3], api_name="/finetune_clips")
    with pytest.raises(AppError, match="Clip 2 has no text"):
        client.predict([handle_file(path) for path in clip_files[:4]], [PHRASES[0], " ", *PHRASES[2:4]],
                       api_name="/finetune_clips")
    with pytest.raises(AppError, match="No fine-tuned Whisper"):
        client.predict(99999, api_name="/compare_speech_models")


def test_the_training_tab_reads_the_clip_panel_for_a_whisper_run(clip_files, tmp_path, monkeypatch):
    """The tab's own handlers: the clip panel's uploads and lines (and a recording added with its text) are the
    run's dataset; the default source is the default phrases; a recording without text is refused."""
    from models.training.image_sets import MAX_CLASSES
    from studio.training import run_dataset
    from studio.whisper_panels import MINE, add_recording

    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    classes, text = [None] * (2 * MAX_CLASSES), ["tech", "", None]
    recorded, *_ = add_recording([], clip_files[3], PHRASES[3])
    uploads = [{"path": path} for path in clip_files[:3]]
    dataset = run_dataset("whisper-finetune", *classes, *text, MINE, uploads, "\n".join(PHRASES[:3]), recorded)
    assert (tmp_path / "clip-sets" / f"{dataset}.npz").is_file()
    assert run_dataset("whisper-finetune", *classes, *text, "default", uploads, "", []) == ""
    with pytest.raises(Exception, match="no text"):
        add_recording(recorded, clip_files[4], "  ")
