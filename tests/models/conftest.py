"""Fixtures shared by the model tests of several domains."""
import pytest
import torch

from models.registry import ModelRegistry


@pytest.fixture(scope="session")
def smollm2(tmp_path_factory):
    """SmolLM2-135M from its package, converted once into a data folder of the test session's own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDIO_DATA_DIR", str(tmp_path_factory.mktemp("studio-data")))
        yield ModelRegistry(torch.device("cpu")).get("smollm2-135m")
