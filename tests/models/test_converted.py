"""Converted weights kept once: reused while the source and version stay the same, made again when either changes
or a file is truncated, never left half-written (a converter stands in for a real one: it writes two files)."""
import json
import logging

import pytest

from models.converted import MANIFEST, converted


@pytest.fixture
def source(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "weights.bin"
    path.write_bytes(b"packaged weights")
    return path


def writer(calls: list):
    def convert(folder):
        calls.append(folder)
        (folder / "model.safetensors").write_bytes(b"w" * 1000)
        (folder / "config.json").write_text("{}")
    return convert


def test_the_second_call_reuses_the_folder(source):
    calls = []
    first = converted("toy", source, "v1", writer(calls))
    assert converted("toy", source, "v1", writer(calls)) == first and len(calls) == 1
    assert json.loads((first / MANIFEST).read_text())["files"] == {"model.safetensors": 1000, "config.json": 2}
    assert [path.name for path in first.parent.iterdir()] == ["toy"]  # no temporary folder left


@pytest.mark.parametrize("change", ["source", "version", "truncated", "missing", "manifest"])
def test_a_changed_source_version_or_damaged_file_is_rebuilt_with_a_log_line(source, change, caplog):
    calls = []
    folder = converted("toy", source, "v1", writer(calls))
    version = "v2" if change == "version" else "v1"
    if change == "source":
        source.write_bytes(b"new weights")
    elif change == "truncated":
        (folder / "model.safetensors").write_bytes(b"w" * 10)
    elif change == "missing":
        (folder / "config.json").unlink()
    elif change == "manifest":
        (folder / MANIFEST).write_text('{"source_sha')

    with caplog.at_level(logging.WARNING, "studio.models"):
        assert converted("toy", source, version, writer(calls)) == folder
    assert len(calls) == 2 and "rebuilt" in caplog.text
    assert (folder / "model.safetensors").stat().st_size == 1000 and (folder / "config.json").exists()


def test_a_converter_that_fails_leaves_nothing_behind(source):
    def broken(folder):
        (folder / "model.safetensors").write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        converted("toy", source, "v1", broken)
    assert not any((source.parent / "data" / "converted").iterdir())
