"""Shared fixtures: the studio launched as users launch it, on a free local port."""
from pathlib import Path

import pytest

from studio.launcher import launch_studio

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def studio_url(tmp_path_factory):
    """URL of `python app.py` started in a subprocess, offline; stopped after the session."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with launch_studio(ARTIFACTS / "app.log", data_dir=tmp_path_factory.mktemp("studio-data")) as (url, _):
        yield url


@pytest.fixture(scope="session")
def client(studio_url):
    from gradio_client import Client

    return Client(studio_url, verbose=False)


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """A training Runner whose runs and saved models go to this test's own data folder."""
    from models.training.runner import Runner
    from models.training.store import RunStore

    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    runner = Runner(RunStore(tmp_path))
    yield runner
    runner.close()
