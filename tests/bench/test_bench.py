"""The benchmark suite's smallest pieces run and write their keys as finite numbers.
No timing is asserted: these machines are shared, and the numbers are the suite's job, not the test's."""
import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from bench import streaming
from bench.report import goal, markdown, meaning
from bench.run import QUICK, main, run
from models.speech.audio import SAMPLE_RATE, SILENCE_RMS

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


@pytest.mark.slow
def test_detection_section_writes_finite_numbers_and_is_held_to_its_goal(tmp_path):
    run(["detection"], TINY, torch.device("cpu"), tmp_path, "test")
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["errors"] == {}
    for key in ("detection_ms", "detection_bare_ms", "detection_ratio_vs_bare"):
        assert math.isfinite(results[key]) and results[key] > 0, key
    assert goal("detection_ratio_vs_bare", 1.1) == "≤ 1.2 ✓" and meaning("detection_ms")


@pytest.mark.slow
def test_embeddings_section_times_queries_and_scores_both_models():
    from bench import embeddings
    from models.registry import ModelRegistry

    result = embeddings.measure(ModelRegistry(torch.device("cpu")), 1, epochs=1)
    assert all(math.isfinite(ms) and ms > 0 for ms in result["ms"].values()) and len(result["ms"]) == 4
    assert result["items"] >= 100 and 0 < result["word2vec_covered"] < result["items"]
    assert result["glove_accuracy"] > 0.5 and 0 <= result["word2vec_accuracy"] <= 1
    assert goal("embeddings_analogy_ms", 9.0) == "≤ 100 ✓" and meaning("analogy_top1_word2vec")


def test_results_table_marks_goals_and_skips_what_is_not_a_number():
    results = {"date": "2026-01-01T00:00:00+00:00", "command": "python bench/run.py --quick", "wall_seconds": 60.0,
               "machine": {"cpu": "cpu", "cores": 2, "torch_threads": 2, "ram_gb": 8, "gpu": "none", "python": "3.11",
                           "torch": "2", "transformers": "5", "gradio": "6", "ctranslate2": "4",
                           "load_average_at_start": 1.0, "load_average_at_end": 2.0},
               "ui_ready_s": 7.5, "peak_rss_gb": 1.25, "errors": {}, "growth": []}
    table = markdown(results)
    assert "| `ui_ready_s` | 7.5 | ≤ 3 ✗ |" in table
    assert "| `peak_rss_gb` | 1.25 | ≤ 3 ✓ |" in table
    assert "wall_seconds`" not in table and "errors" not in table


def test_unknown_section_is_refused():
    with pytest.raises(SystemExit):
        main(["--only", "asr,nonsense"])


def talk(policy: str, error: float, final: float, voice: str = "natural") -> "streaming.TalkResult":
    return streaming.TalkResult(voice, "clip.wav", policy, 4.0, 10, error, 0.1, 0.5, final, 0, 0, 5, 0.3, "", "")


def test_streaming_verdict_takes_the_more_accurate_policy_only_at_comparable_latency():
    slower_but_better = streaming.StreamingBench("m", [talk("alignatt", 0.2, 0.8), talk("local-agreement", 0.1, 1.6)])
    assert streaming.better_policy(slower_but_better)[0] == "alignatt"
    both_meet_the_goal = streaming.StreamingBench("m", [talk("alignatt", 0.2, 0.4), talk("local-agreement", 0.1, 1.4)])
    assert streaming.better_policy(both_meet_the_goal)[0] == "local-agreement"
    close = streaming.StreamingBench("m", [talk("alignatt", 0.2, 1.6), talk("local-agreement", 0.1, 2.0)])
    best, line = streaming.better_policy(close)
    assert best == "local-agreement" and line.startswith("Verdict: default local-agreement")
    flat = streaming.values(close)
    assert flat["stream_local_agreement_natural_wer_over_offline"] == pytest.approx(0.0)
    assert flat["stream_alignatt_natural_wer_over_offline"] == pytest.approx(0.1)


def test_streaming_keys_are_explained_and_checked_against_the_issue_goals():
    assert goal("stream_alignatt_natural_wer_over_offline", 0.04) == "≤ 0.03 ✗"
    assert goal("stream_local_agreement_espeak_wer_over_offline", 0.04) == "≤ 0.05 ✓"
    assert goal("stream_alignatt_concurrent_final_ratio", 2.5) == "≤ 2 ✗"
    assert goal("stream_alignatt_hog_final_worst_s", 2.5) == "≤ 3 ✓"
    assert goal("stream_alignatt_hog_final_s", 2.5) == ""  # the median under the hog is not the 1.5 s goal
    assert "beside a CPU hog" in meaning("stream_local_agreement_hog_final_s")
    assert meaning("stream_local_agreement_final_s").startswith("live (local-agreement): final text")


def test_non_speech_signals_are_seeded_and_the_music_has_chords():
    signals = streaming.non_speech_signals(2.0, seed=3)
    again = streaming.non_speech_signals(2.0, seed=3)
    assert all(np.array_equal(signals[name], again[name]) for name in signals)
    assert not np.array_equal(signals["music"], streaming.non_speech_signals(2.0, seed=4)["music"])
    room, noise = signals["silence (room tone)"], signals["pink noise"]
    assert SILENCE_RMS < np.sqrt(np.mean(room ** 2)) < 10 * SILENCE_RMS  # stream_file takes it, yet it is quiet
    assert np.sqrt(np.mean(noise ** 2)) == pytest.approx(streaming.NOISE_RMS, rel=0.01)
    quarter = SAMPLE_RATE // 4  # the first quarter second: one chord and one melody note
    assert not harmonics_of_one_pitch(signals["music"][:quarter])
    t = np.arange(quarter) / SAMPLE_RATE
    assert harmonics_of_one_pitch(sum(np.sin(2 * np.pi * 220 * k * t) / k for k in (1, 2, 3, 4)))  # a tone is


def harmonics_of_one_pitch(samples: np.ndarray) -> bool:
    """Whether every strong spectral peak is a whole multiple of the lowest one (a single note)."""
    spectrum = np.abs(np.fft.rfft(samples))
    peaks = [i for i in range(1, len(spectrum) - 1)
             if spectrum[i] > max(spectrum[i - 1], spectrum[i + 1]) and spectrum[i] > 0.1 * spectrum.max()]
    return all(abs(peak / peaks[0] - round(peak / peaks[0])) < 0.05 for peak in peaks)


def test_sentences_lost_and_character_error_rate():
    sentences = ("the cat sat on the mat", "a loaf of fresh bread")
    assert streaming.sentences_lost(sentences, "the cat sat on the mat a low rashed foot red") == 1
    assert streaming.sentences_lost(sentences, "the cat sat on a mat. a loaf of bread") == 0
    assert streaming.character_error_rate("今天天气很好。", "今天天氣很好") == pytest.approx(1 / 6)


def test_scaling_keys_are_explained_and_merged_into_results_leaving_every_other_key(tmp_path):
    from bench import training

    path = tmp_path / "results.json"
    path.write_text(json.dumps({"date": "2026-11-25", "asr_rtf": 0.1, "details": {"asr": {"engines": 3}}}))
    row = {"task": "digits", "variant": "mlp", "efficiency": 0.4, "speedup_vs_2_threads": 0.5, "allreduce_share": 0.6}
    keys = training.scaling_keys([row])
    training.merge_into_results(keys, {"results": [row]}, path)
    results = json.loads(path.read_text())
    assert results["asr_rtf"] == 0.1 and results["details"]["asr"] == {"engines": 3}
    assert results["train_ddp_efficiency_digits_mlp"] == 0.4 and results["train_ddp_allreduce_share_digits_mlp"] == 0.6
    assert results["details"]["training_scaling"] == {"results": [row]}
    assert all(meaning(key).endswith("digits mlp (bench.training --scaling)") for key in keys)
