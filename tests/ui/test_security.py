"""What a public studio must not do: listen beyond localhost unasked, serve the disk, load what the user names,
unpickle files, or print secrets."""
import re
import urllib.error
import urllib.request

import pytest
import torch
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from tests.tests_paths import ASSETS, ROOT

from app import parse_args
from models.errors import InputError
from models.registry import ModelRegistry
from studio.common import load_model
from studio.launcher import launch_studio


def test_binds_localhost_without_share_unless_asked(monkeypatch):
    for name in ("GRADIO_SERVER_NAME", "SPACE_ID"):
        monkeypatch.delenv(name, raising=False)
    args = parse_args([])
    assert args.host == "127.0.0.1" and args.share is False
    assert parse_args(["--host", "0.0.0.0", "--share"]).host == "0.0.0.0"
    monkeypatch.setenv("SPACE_ID", "someone/model-studio")
    assert parse_args([]).host == "0.0.0.0"  # a Space must listen on every interface


def test_only_the_docker_image_listens_on_every_interface():
    assert "GRADIO_SERVER_NAME=0.0.0.0" in (ROOT / "Dockerfile").read_text()


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.slow
@pytest.mark.parametrize("path", ["gradio_api/file=/etc/passwd", "file=/etc/passwd",
                                  f"gradio_api/file={ROOT}/app.py", "gradio_api/file=app.py",
                                  "gradio_api/file=../../../../../etc/passwd",
                                  "gradio_api/file=%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                                  f"gradio_api/file={ROOT}/.venv/pyvenv.cfg"])
def test_the_server_does_not_serve_files_outside_uploads(studio_url, path):
    status, body = fetch(studio_url + path)
    assert status != 200 or not (b"root:" in body or b"def main" in body or b"home =" in body), (status, body[:200])
    assert status >= 400


def test_only_registry_models_load():
    registry = ModelRegistry(torch.device("cpu"))
    for name in ("os:system", "../../etc/passwd", "openai/whisper-large-v3", "models.speech.recognizer:load_speech_model"):
        with pytest.raises(InputError, match="model.unknown"):
            load_model(registry, name, lambda *args, **kwargs: None)
    assert not registry.loads and not any(registry.is_loaded(spec.key) for spec in registry.specs)


@pytest.mark.slow
def test_an_endpoint_refuses_a_model_name_from_outside_the_registry(client):
    with pytest.raises(AppError, match="No model named 'os:system'"):
        client.predict("os:system", "hello", 0, 0, api_name="/attention")


UNSAFE_LOADING = [
    (r"torch\.load\((?![^)]*weights_only=True)", "torch.load without weights_only=True unpickles arbitrary code"),
    (r"\bpickle\.loads?\(|\bcloudpickle\b|\bdill\.load", "pickle loading runs arbitrary code"),
    (r"joblib\.load\(", "joblib.load unpickles"),
    (r"allow_pickle\s*=\s*True", "numpy with allow_pickle unpickles"),
    (r"trust_remote_code\s*=\s*True", "remote code from the hub"),
    (r"torch\.save\(", "saved models are safetensors, not pickles"),
    (r"(?<![.\w])(eval|exec)\(", "no evaluation of strings"),
]


@pytest.mark.parametrize("pattern, why", UNSAFE_LOADING, ids=[why for _, why in UNSAFE_LOADING])
def test_no_code_path_unpickles_or_runs_loaded_code(pattern, why):
    sources = [ROOT / "app.py", *(ROOT / "models").rglob("*.py"), *(ROOT / "studio").rglob("*.py")]
    offenders = [f"{path.relative_to(ROOT)}:{number}" for path in sources
                 for number, line in enumerate(path.read_text().splitlines(), start=1) if re.search(pattern, line)]
    assert not offenders, f"{why}: {offenders}"


@pytest.mark.slow
def test_no_secret_reaches_the_log(tmp_path):
    secret = "hf_StudioTestSecret0123456789abcdef"
    log = tmp_path / "app.log"
    with launch_studio(log, environment={"HF_TOKEN": secret, "HUGGING_FACE_HUB_TOKEN": secret}) as (url, _):
        client = Client(url, verbose=False)
        client.predict(handle_file(str(ASSETS / "images" / "coffee.jpg")), "efficientnet-lite0", api_name="/classify")
        with pytest.raises(AppError):  # an error path logs too
            client.predict(handle_file(str(ROOT / "README.md")), "efficientnet-lite0", api_name="/classify")
    text = log.read_text(errors="replace")
    assert "Running on local URL" in text or "127.0.0.1" in text
    assert secret not in text
