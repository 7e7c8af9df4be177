"""The Training tab: its API through the launched app, and its handlers called directly."""
import os

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client.exceptions import AppError

from models.training import distributed
from models.training.tasks import load_task
from models.training.tasks.digit_photos import DIGIT_SIDE, DIGITS_PER_CLASS
from models.training.tasks.digits import digit_images
from models.training.tasks.keywords import KEYWORDS_FOLDER
from studio import training

HELD_OUT = DIGITS_PER_CLASS + 5  # the digit photos task trains on the first DIGITS_PER_CLASS digits of each class
COMPARED_STEPS = 20  # the goal: a 2-worker run's first 20 losses are a 1-worker run's to 1e-4


def held_out_digit_photo(digit: int, path) -> str:
    """A digit the image task never trained on, drawn as its photos are (dark ink on white, DIGIT_SIDE px)."""
    ink, labels = digit_images()
    index = int(torch.nonzero(labels == digit).flatten()[HELD_OUT])
    paper = 1 - torch.nn.functional.interpolate(ink[index: index + 1], size=(DIGIT_SIDE, DIGIT_SIDE),
                                                mode="bilinear", align_corners=False)[0, 0]
    from PIL import Image

    Image.fromarray((paper.numpy() * 255).round().astype(np.uint8)).convert("RGB").save(path)
    return str(path)


def validation_clips() -> dict[str, tuple[int, int]]:
    """word -> (start, length) in keywords.flac of its first clip in the validation split (seed 0, 0.2 held out)."""
    _, validation = load_task("keywords").split(0.2, 0)
    rows = [line.split("\t") for line in (KEYWORDS_FOLDER / "keywords.tsv").read_text().splitlines()[1:]]
    clips = {}
    for clip in sorted(set(validation.groups.tolist())):
        word, *_, start, length = rows[clip]
        clips.setdefault(word, (int(start), int(length)))
    return clips


@pytest.mark.slow
def test_train_endpoint_runs_to_the_end_and_the_run_is_listed(client):
    result = client.predict("digits", "cnn", "adam", 3e-3, 64, 2, 0, 0.2, api_name="/train")
    assert result["status"] == "finished"
    assert result["metrics"]["validation_accuracy"] > 0.5
    assert result["config"]["variant"] == "cnn"
    runs = client.predict(api_name="/runs")
    [listed] = [run for run in runs if run["run_id"] == result["run_id"]]
    assert listed["status"] == "finished" and listed["metrics"] == result["metrics"]


@pytest.mark.slow
def test_an_image_model_fine_tuned_here_reads_digits_it_never_saw(client, tmp_path):
    from gradio_client import handle_file

    result = client.predict(task="images", variant="frozen", optimizer="adam", learning_rate=1e-2, batch_size=32,
                            epochs=10, api_name="/train")
    assert result["status"] == "finished", result["message"]
    assert result["saved_model"] == f"trained-run-{result['run_id']}"
    right = 0
    for digit in range(10):
        photo = held_out_digit_photo(digit, tmp_path / f"{digit}.png")
        answer = client.predict(handle_file(photo), result["saved_model"], api_name="/classify")
        assert len(answer["confidences"]) == 5
        right += answer["label"] == str(digit)
    assert right >= 7, f"{right} of 10 held-out digits read right"  # chance: 1
    with pytest.raises(AppError, match="trained-run-99999"):
        client.predict(handle_file(photo), "trained-run-99999", api_name="/classify")


@pytest.mark.slow
def test_a_keyword_model_trained_here_hears_words_it_never_trained_on(client, tmp_path):
    import soundfile
    from gradio_client import handle_file

    result = client.predict(task="keywords", variant="cnn", optimizer="adam", learning_rate=3e-3, batch_size=32,
                            epochs=8, api_name="/train")
    assert result["status"] == "finished", result["message"]
    samples, rate = soundfile.read(KEYWORDS_FOLDER / "keywords.flac", dtype="float32")
    heard_right = 0
    for word, (start, length) in validation_clips().items():
        soundfile.write(tmp_path / f"{word}.wav", samples[start: start + length], rate)
        heard = client.predict(result["saved_model"], handle_file(str(tmp_path / f"{word}.wav")),
                               api_name="/try_keyword")
        assert len(heard["confidences"]) == 3
        heard_right += heard["label"] == word
    assert heard_right >= 7, f"{heard_right} of 8 held-out words heard right"  # chance: 1
    with pytest.raises(AppError, match="No keyword model"):
        client.predict("trained-run-99999", handle_file(str(tmp_path / "yes.wav")), api_name="/try_keyword")


@pytest.mark.slow
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="two workers need two cores (fewer are capped)")
def test_a_two_worker_run_reports_its_world_size_and_the_losses_of_one_worker(client):
    settings = dict(task="digits", variant="mlp", optimizer="adam", learning_rate=1e-2, batch_size=32, epochs=1)
    alone = client.predict(**settings, api_name="/train")
    shared = client.predict(**settings, workers=2, api_name="/train")
    assert alone["status"] == shared["status"] == "finished", shared["message"]
    assert alone["config"]["workers"] == 1 and shared["config"]["workers"] == shared["metrics"]["world_size"] == 2
    assert len(shared["metrics"]["examples_per_second"]) == 2 and 0 < shared["metrics"]["allreduce_share"] < 1
    [listed] = [run for run in client.predict(api_name="/runs") if run["run_id"] == shared["run_id"]]
    assert listed["config"]["workers"] == 2
    one, two = ([point["loss"] for point in client.predict(result["run_id"], api_name="/curve")
                 if point["split"] == "train"] for result in (alone, shared))
    assert len(one) == len(two) >= COMPARED_STEPS
    assert max(abs(a - b) for a, b in zip(one[:COMPARED_STEPS], two[:COMPARED_STEPS])) < 1e-4


# ---- the handlers, called directly (no app) ------------------------------------------------------------------

def test_train_runs_and_curve_handlers_report_one_run(runner):
    result = training.train(runner, "digits", "mlp", "adam", 1e-2, 64, 1)
    assert result["status"] == "finished" and result["message"] == "" and result["saved_model"] is None
    [listed] = training.runs(runner)
    assert listed["run_id"] == result["run_id"] and listed["metrics"] == result["metrics"]
    curve = training.run_curve(runner, result["run_id"])
    assert [point["split"] for point in curve].count("validation") == 1
    assert [point["step"] for point in curve if point["split"] == "train"] == list(range(1, 24))
    assert training.stop_run(runner, result["run_id"]) == {"run_id": result["run_id"], "status": "finished"}
    for handler in (training.stop_run, training.run_curve):
        with pytest.raises(gr.Error, match="no run #999"):
            handler(runner, 999)


def test_the_runs_table_shows_workers_their_throughput_and_all_reduce_share(runner, monkeypatch):
    monkeypatch.setattr(distributed, "available_workers", lambda device: 1)  # the 3 workers asked for are capped
    started, *_, status = training.start_runs(runner, "digits", ["mlp"], "adam", 1e-2, 64, 1, 0, 0.2, 3, [])
    assert "Asked for 3 workers, but this machine has 1 CPU cores" in status
    runner.wait(started[0])
    [row] = training.run_table(runner.store.runs())["data"]
    assert row[-3] == 1 and float(row[-2]) > 0 and row[-1] is None  # one worker: no all-reduce
    run = runner.store.run(started[0])
    run.metrics.update(examples_per_second=[2850.4, 2853.2], allreduce_share=0.7081)
    assert training.run_rows([run])[0][-3:] == [1, "2850 · 2853", 0.708]
    headers = training.run_table([])["headers"]
    assert headers[-3:] == ["workers", "examples/s per worker", "all-reduce share"]


def test_a_diverged_run_says_why_in_words(runner):
    result = training.train(runner, "digits", "mlp", "sgd", 10, 32, 3)
    assert result["status"] == "diverged" and "Lower the learning rate" in result["message"]
    assert "⚠️" in training.describe(runner, [result["run_id"]])


def test_starting_needs_a_variant_and_checks_every_config_first(runner):
    settings = ["digits", ["mlp", "cnn"], "adam", 3e-3, 32, 1, 0, 0.2, 1, []]
    with pytest.raises(gr.Error, match="Tick at least one variant"):
        training.start_runs(runner, "digits", [], *settings[2:])
    with pytest.raises(gr.Error, match="Epochs"):
        training.start_runs(runner, "digits", ["mlp", "cnn"], "adam", 3e-3, 32, 0, 0, 0.2, 1, [])
    assert runner.store.runs() == []
    started, table, choices, timer, status = training.start_runs(runner, *settings)
    assert len(started) == 2 and [row[2] for row in table["data"]] == ["cnn", "mlp"]
    for run_id in started:
        runner.wait(run_id)
    assert {row[8] for row in training.runs_view(runner, started)[0]["data"]} == {"finished"}


def test_a_task_change_brings_its_variants_defaults_and_panel():
    variants, optimizer, learning_rate, batch_size, epochs, panel = training.task_defaults("my-images")
    assert variants.value == ["frozen", "partial", "scratch"] and panel.visible is True
    assert (optimizer, learning_rate, batch_size, epochs) == ("adam", 1e-2, 16, 4)
    assert training.task_defaults("digits")[-1].visible is False
    assert training.task_defaults("lm-lora")[-1].visible is False  # its text panel instead (studio/lm_panels.py)


def test_a_row_click_toggles_the_run_in_the_plots():
    class Click:
        row_value = [7]

    assert training.toggle_from_table([3], Click()) == [3, 7]
    assert training.toggle_from_table([3, 7], Click()) == [3]


def test_exporting_nothing_says_what_to_do(runner):
    with pytest.raises(gr.Error, match="Tick the runs"):
        training.export_runs(runner, [])
