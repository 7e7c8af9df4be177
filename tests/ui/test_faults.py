"""Faults the studio survives: killed mid-training, a locked run store, a model that will not load."""
import signal
import sqlite3
import time

import pytest
import torch
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from tests.tests_paths import ASSETS

from models.errors import ModelUnavailable
from models.registry import ModelRegistry, hub_spec
from models.training.config import TrainConfig
from models.training.store import RunStore
from studio.common import model_choices
from studio.launcher import launch_studio

COFFEE = ASSETS / "images" / "coffee.jpg"


def wait_for(condition, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answer := condition():
            return answer
        time.sleep(0.5)
    raise AssertionError(f"not within {seconds} s")


@pytest.mark.slow
def test_a_run_killed_with_the_app_is_listed_as_interrupted_with_its_curve(tmp_path):
    data = tmp_path / "data"
    with launch_studio(tmp_path / "first.log", data_dir=data) as (url, process):
        client = Client(url, verbose=False)
        client.submit("digits", "mlp", "sgd", 0.01, 8, 200, 0, 0.2, api_name="/train")
        run_id = wait_for(lambda: next((run["run_id"] for run in client.predict(api_name="/runs")
                                        if run["status"] == "running"), None))
        points_before = len(wait_for(lambda: client.predict(run_id, api_name="/curve")))
        process.send_signal(signal.SIGKILL)
        process.wait()
    with launch_studio(tmp_path / "second.log", data_dir=data) as (url, _):
        client = Client(url, verbose=False)
        [run] = [run for run in client.predict(api_name="/runs") if run["run_id"] == run_id]
        assert run["status"] == "interrupted" and "curve is kept" in run["message"]
        curve = client.predict(run_id, api_name="/curve")
        assert len(curve) >= points_before > 0 and curve[0]["split"] == "train"


def test_a_locked_store_gets_a_fresh_one_and_the_old_file_is_kept(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create_run(TrainConfig())
    store.close()
    holder = sqlite3.connect(tmp_path / "runs.sqlite", isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")  # another program that holds the whole file
    holder.execute("BEGIN EXCLUSIVE")
    try:
        fresh = RunStore(tmp_path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    [kept] = tmp_path.glob("runs.corrupt-*.sqlite")
    assert fresh.notice.key == "training.store_moved" and fresh.notice.values["aside"] == str(kept)
    assert fresh.runs() == [] and fresh.create_run(TrainConfig()) == 1
    with sqlite3.connect(kept) as old:
        assert old.execute("SELECT id FROM runs").fetchall() == [(run_id,)]


def broken_classifier(folder):
    """A hub-style model folder whose config is not JSON: transformers' real loader fails on it."""
    folder.mkdir()
    (folder / "config.json").write_text("{ this is not json")
    return folder


def test_a_model_that_fails_to_load_at_preload_is_recorded_and_left_out_of_the_choices(tmp_path):
    broken = broken_classifier(tmp_path / "broken-classifier")
    registry = ModelRegistry(torch.device("cpu"), specs=[hub_spec("image", str(broken))])
    registry.preload()  # does not raise: the other models and tabs must still start
    failure = registry.failures[str(broken)]
    assert failure.key == "model.load_failed" and failure.values["model"] == str(broken)
    assert "config.json" in failure.values["error"] and "JSON" in failure.values["error"], failure.values["error"]
    with pytest.raises(ModelUnavailable) as again:
        registry.get(str(broken))
    assert (again.value.key, again.value.values) == (failure.key, failure.values)
    assert model_choices(registry, "image") == []


@pytest.mark.slow
def test_a_model_that_fails_to_load_gets_a_message_while_the_other_tabs_work(tmp_path):
    broken = broken_classifier(tmp_path / "broken-classifier")
    with launch_studio(tmp_path / "app.log", arguments=("--hub-model", f"image={broken}")) as (url, _):
        client = Client(url, verbose=False)
        for _attempt in range(2):  # the second time from the record, without loading again
            with pytest.raises(AppError, match="could not be loaded.*other models still work"):
                client.predict(handle_file(str(COFFEE)), str(broken), api_name="/classify")
        answer = client.predict(handle_file(str(COFFEE)), "efficientnet-lite0", api_name="/classify")
        assert answer["label"] == "espresso"
        translation, _ = client.predict("The cat is sleeping.", "bergamot-en-pt", 1, api_name="/translate")
        assert "gato" in translation.lower()
    assert (tmp_path / "app.log").read_text().count("failed to load") == 1
