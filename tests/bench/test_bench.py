"""The benchmark suite's smallest pieces run and write their keys as finite numbers.
No timing is asserted: these machines are shared, and the numbers are the suite's job, not the test's."""
import json
import math
from dataclasses import replace

import pytest
import torch

from bench.report import markdown
from bench.run import QUICK, main, run

TINY = replace(QUICK, repeats=1, image_repeats=1, mt_sentences=2, mt_text_sentences=(1, 2))


@pytest.mark.slow
def test_image_and_translation_sections_write_finite_numbers_and_the_growth_chart(tmp_path):
    run(["image", "translation"], TINY, torch.device("cpu"), tmp_path, "test")
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["errors"] == {}
    for key in ("image_ms", "image_ratio_vs_bare", "image_batch32_ms", "mt_ms_greedy", "mt_ms_beam4",
                "mt_ratio_vs_native", "mt_ratio_vs_bare", "mt_chrf_en_pt"):
        assert math.isfinite(results[key]) and results[key] > 0, key
    assert math.isfinite(results["image_overlay_overhead"])
    assert results["machine"]["cores"] >= 1 and results["machine"]["gpu"] == "none" and results["date"]
    [growth] = results["growth"]
    assert len(growth["x"]) == 2 and all(len(values) == 2 for values in growth["series"].values())
    assert "Translation en-pt" in (tmp_path / "growth.html").read_text()
    assert "| `mt_ratio_vs_native` |" in markdown(results)


def test_results_table_marks_goals_and_skips_what_is_not_a_number():
    results = {"date": "2026-01-01T00:00:00+00:00", "command": "python bench/run.py --quick", "wall_seconds": 60.0,
               "machine": {"cpu": "cpu", "cores": 2, "torch_threads": 2, "ram_gb": 8, "gpu": "none", "python": "3.11",
                           "torch": "2", "transformers": "5", "gradio": "6", "ctranslate2": "4",
                           "load_average_at_start": 1.0, "load_average_at_end": 2.0},
               "ui_ready_s": 7.5, "peak_rss_gb": 1.25, "errors": {}, "growth": []}
    table = markdown(results)
    assert "| `ui_ready_s` | 7.5 | ≤ 5 ✗ |" in table
    assert "| `peak_rss_gb` | 1.25 | ≤ 3 ✓ |" in table
    assert "wall_seconds`" not in table and "errors" not in table


def test_unknown_section_is_refused():
    with pytest.raises(SystemExit):
        main(["--only", "asr,nonsense"])
