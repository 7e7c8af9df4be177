import math
import subprocess
import sys

import pytest
import torch

from models.errors import InputError, Phrase
from models.training.config import TrainConfig
from models.training.finetune import trained_part
from models.training.loop import fit
from models.training.runner import Runner
from models.training.store import RunStore
from models.training.tasks import build_model, load_task
from models.training.tasks.number_words import say_number
from tests.tests_paths import ROOT


@pytest.fixture(autouse=True)
def data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    return tmp_path


def train_briefly(config: TrainConfig, examples: int | None = None):
    """fit() on the first `examples` training examples; returns (outcome, train points, validation points)."""
    train, validation = load_task(config.task).split(config.validation_split, config.seed)
    if examples:
        train = train.subset(torch.arange(examples))
        validation = validation.subset(torch.arange(min(examples, len(validation))))
    torch.manual_seed(config.seed)
    model, train, validation = trained_part(build_model(config.task, config.variant, train), train, validation)
    points = []
    outcome = fit(model, train, validation, config, points.append)
    return outcome, [p for p in points if p.split == "train"], [p for p in points if p.split == "validation"]


def falls(points) -> bool:
    """The mean loss of the last quarter of the points is below that of the first quarter."""
    quarter = max(1, len(points) // 4)
    return sum(p.loss for p in points[-quarter:]) / quarter < 0.8 * sum(p.loss for p in points[:quarter]) / quarter


@pytest.mark.parametrize("task, variant, optimizer, learning_rate, epochs, examples", [
    ("digits", "mlp", "adam", 1e-2, 2, None),
    ("digits", "cnn", "momentum", 5e-2, 2, None),
    ("seq2seq", "lstm", "adam", 1e-2, 3, 256),
    ("seq2seq", "transformer", "adamw", 3e-3, 3, 256),
    ("text", "lstm", "adam", 1e-2, 6, 64),
    pytest.param("text", "minilm", "adamw", 2e-3, 3, 32, marks=pytest.mark.slow),
    ("images", "frozen", "adam", 1e-2, 3, None),
    pytest.param("images", "partial", "adam", 3e-3, 3, 96, marks=pytest.mark.slow),
    pytest.param("images", "scratch", "adam", 3e-3, 6, 16, marks=pytest.mark.slow),
    ("keywords", "cnn-bilstm", "adam", 3e-3, 3, 256),
    ("keywords", "cnn", "adam", 3e-3, 3, 256),
    ("word2vec", "skipgram", "adam", 3e-3, 3, 20_000),
])
def test_every_variant_trains_and_its_loss_falls(task, variant, optimizer, learning_rate, epochs, examples):
    batch_size = {"text": 16, "images": 8, "keywords": 16, "word2vec": 256}.get(task, 32)
    config = TrainConfig(task, variant, optimizer, learning_rate, batch_size=batch_size, epochs=epochs)
    outcome, train_points, validation_points = train_briefly(config, examples)
    assert outcome.status == "finished", outcome.message
    assert falls(train_points)
    assert len(validation_points) == epochs and 0 <= validation_points[-1].accuracy <= 1
    # From scratch, 16 pictures are memorised, not generalised from: that is the lesson the variant teaches.
    assert outcome.metrics["validation_loss"] < validation_points[0].loss or task == "text" or variant == "scratch"


def test_number_words_read_as_people_say_them():
    assert [say_number(n) for n in (0, 13, 40, 105, 342)] == [
        "zero", "thirteen", "forty", "one hundred five", "three hundred forty two"]


@pytest.mark.parametrize("change, message", [
    (dict(learning_rate=float("nan")), "finite"),
    (dict(learning_rate=-0.1), "training.bad_learning_rate"),
    (dict(learning_rate=0), "training.bad_learning_rate"),
    (dict(learning_rate=1e6), "training.bad_learning_rate"),
    (dict(epochs=0), "training.not_whole.*training.field.epochs"),
    (dict(epochs=2.5), "training.not_whole"),
    (dict(batch_size=5000), "training.not_whole.*training.field.batch_size"),
    (dict(batch_size=1500), "training.batch_too_large.*examples=1438"),
    (dict(validation_split=0.9), "training.bad_split"),
    (dict(variant="transformer"), "training.unknown_variant"),
    (dict(optimizer="lbfgs"), "training.unknown_optimizer"),
    (dict(seed=None), "training.not_a_number.*training.field.seed"),
])
def test_config_rejects_bad_values_with_a_readable_message(change, message):
    config = TrainConfig(**{**TrainConfig().__dict__, **change})
    with pytest.raises(InputError, match=message):
        config.validate(examples=1797)


def test_config_takes_whole_floats_from_number_boxes():
    config = TrainConfig(batch_size=32.0, epochs=3.0, seed=1.0).validate(1797)
    assert (config.batch_size, config.epochs, config.seed) == (32, 3, 1)
    assert TrainConfig.from_json(config.to_json()) == config


def test_a_huge_learning_rate_is_flagged_as_diverged_not_crashed():
    outcome, train_points, _ = train_briefly(TrainConfig("digits", "mlp", "sgd", learning_rate=10, epochs=3))
    assert outcome.status == "diverged"
    assert outcome.message.key == "training.diverged" and outcome.message.values["step"] == outcome.steps + 1
    assert all(math.isfinite(p.loss) for p in train_points)


def test_a_run_persists_in_the_store_and_after_reopening_it(data_folder):
    runner = Runner(RunStore())
    run_id = runner.start(TrainConfig("digits", "mlp", "adam", 1e-2, batch_size=64, epochs=2))
    state = runner.wait(run_id, timeout=120)
    assert state.status == "finished"
    runner.store.close()

    reopened = RunStore(data_folder)
    run = reopened.run(run_id)
    assert run.status == "finished" and run.config.variant == "mlp"
    assert 0.5 < run.metrics["validation_accuracy"] <= 1
    points = reopened.points(run_id)
    assert [p.step for p in points if p.split == "train"] == list(range(1, 47))
    assert [p.epoch for p in points if p.split == "validation"] == [1, 2]

    csv_text = reopened.export_csv([run_id], data_folder / "runs.csv").read_text()
    assert csv_text.startswith("run,task,variant") and csv_text.count("\n") == 1 + 46 + 2
    reopened.delete(run_id)
    assert reopened.run(run_id) is None and reopened.points(run_id) == []


def test_a_run_of_a_killed_process_is_marked_interrupted_with_its_curve_kept(data_folder):
    killed_mid_run = """
import os, signal
from models.training.config import TrainConfig
from models.training.loop import Point
from models.training.store import RunStore
store = RunStore()
run_id = store.create_run(TrainConfig())
store.set_status(run_id, "running")
store.add_points(run_id, [Point("train", step, step / 45, 2.3 - step / 100, None, step / 10) for step in (1, 2, 3)])
os.kill(os.getpid(), signal.SIGKILL)
"""
    subprocess.run([sys.executable, "-c", killed_mid_run], cwd=ROOT, check=False,
                   env={"STUDIO_DATA_DIR": str(data_folder), "PYTHONPATH": str(ROOT)})
    store = RunStore(data_folder)
    [run] = store.runs()
    assert run.status == "interrupted" and run.message == Phrase("training.interrupted")
    assert [p.step for p in store.points(run.id)] == [1, 2, 3]


def test_a_corrupt_store_is_moved_aside_with_a_message(data_folder):
    (data_folder / "runs.sqlite").write_bytes(b"this is not a database " * 100)
    store = RunStore(data_folder)
    assert store.notice.key == "training.store_moved" and store.notice.values["aside"].endswith(".sqlite")
    [aside] = data_folder.glob("runs.corrupt-*.sqlite")
    assert aside.read_bytes().startswith(b"this is not a database")
    assert store.runs() == []
    store.create_run(TrainConfig())
    assert len(RunStore(data_folder).runs()) == 1


def test_stop_ends_a_run_cleanly_and_twice_is_fine():
    runner = Runner(RunStore())
    run_id = runner.start(TrainConfig("digits", "cnn", "adam", 1e-3, batch_size=16, epochs=50))
    queued = runner.start(TrainConfig("digits", "mlp", epochs=50))
    runner.stop(queued)
    runner.stop(run_id)
    runner.stop(run_id)
    runner.stop(12345)  # unknown: nothing happens
    assert runner.wait(run_id, timeout=120).status == "stopped"
    assert runner.wait(queued, timeout=120).status == "stopped"
    assert runner.store.run(run_id).status == "stopped"
    assert runner.store.run(queued).message == Phrase("training.stopped_before_start")
    assert runner.store.run(run_id).message.key == "training.stopped_after"


def test_start_rejects_a_bad_config_before_storing_anything():
    runner = Runner(RunStore())
    with pytest.raises(InputError, match="training.batch_too_large"):
        runner.start(TrainConfig("text", "lstm", batch_size=200))
    assert runner.store.runs() == []
