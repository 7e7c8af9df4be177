"""The lm-lora task on the real SmolLM2-135M: a few LoRA steps lower held-out loss, the saved adapter reloads to
the same logits, the last-layers variant trains only those, and too little text is refused in words."""
import math

import pytest
import torch
from safetensors.torch import load_file

from models.errors import InputError
from models.training import saved
from models.training.config import TrainConfig
from models.training.loop import fit, parameter_groups
from models.training.runner import Runner
from models.training.store import RunStore
from models.training.tasks import TASKS, build_model, load_task
from models.training.tasks.lm_lora import LAST_LAYERS, SEQUENCE, passages, token_loss
from models.training.text_sets import CORPUS_ARTICLES, documents, save_text

pytestmark = pytest.mark.slow  # SmolLM2 is dequantised on first load (15–60 s on a 2-core CPU), then trained

FRUITS = ["apples", "pears", "plums", "lemons", "figs", "limes", "dates", "grapes"]
CITIES = ["Leeds", "Bristol", "Cardiff", "Dundee", "Norwich", "Exeter", "Derby"]


def orders(count: int) -> str:
    """Lines of one fixed form ("Order 7: 9 crates of dates to Leeds."): a few steps learn their next tokens."""
    return "\n".join(f"Order {n}: {n % 9 + 2} crates of {FRUITS[n % len(FRUITS)]} to {CITIES[n % len(CITIES)]}."
                     for n in range(count))


@pytest.fixture(scope="module")
def order_text(smollm2) -> str:
    """The orders text stored as a dataset (in the SmolLM2 fixture's data folder)."""
    return save_text(orders(60))


def test_a_short_lora_run_lowers_held_out_loss_and_its_adapter_reloads_to_the_same_logits(order_text):
    config = TrainConfig("lm-lora", "lora-4", "adamw", 5e-3, batch_size=4, epochs=2, dataset=order_text)
    train, validation = load_task("lm-lora", order_text).split(config.validation_split, config.seed)
    assert len(validation) >= 2 and validation.inputs[0].shape[1] == SEQUENCE
    torch.manual_seed(config.seed)
    model = build_model("lm-lora", "lora-4", train)
    before, _ = token_loss(model.network, validation)
    outcome = fit(model, train, validation, config, evaluation=TASKS["lm-lora"].evaluate)
    assert outcome.status == "finished", outcome.message
    after = outcome.metrics["validation_loss"]
    assert after < before - 0.2, f"held-out loss {before:.3f} -> {after:.3f}"
    print(f"held-out perplexity {math.exp(before):.2f} -> {math.exp(after):.2f} in {outcome.steps} steps")

    kept = saved.save(9001, config, model, train.classes, outcome.metrics["validation_accuracy"])
    weights = load_file(kept.folder / saved.WEIGHTS)
    assert weights and all(".lora_A." in name or ".lora_B." in name for name in weights)
    assert sum(tensor.numel() for tensor in weights.values()) == 30 * 4 * (576 + 576 + 576 + 192)  # q and v, rank 4
    reloaded = saved.load_saved_model(str(kept.folder), torch.device("cpu"))
    ids = validation.inputs[0][:2]
    with torch.inference_mode():
        expected, got = model.eval()(ids), reloaded.network(input_ids=ids).logits
    torch.testing.assert_close(got, expected, atol=2e-4, rtol=0)  # the merged adapter: float rounding only
    assert torch.equal(got.argmax(-1), expected.argmax(-1))
    assert type(reloaded.network).__name__ == "LlamaForCausalLM"  # merged: every language view reads it as usual


def test_the_last_layers_variant_trains_only_the_last_layers_at_the_gentle_rate(order_text):
    train, _ = load_task("lm-lora", order_text).split(0.2, 0)
    model = build_model("lm-lora", "last-layers", train)
    trained = {name for name, parameter in model.network.named_parameters() if parameter.requires_grad}
    layers = {int(name.split(".")[2]) for name in trained if name.startswith("model.layers.")}
    assert layers == set(range(30 - LAST_LAYERS, 30)) and "model.norm.weight" in trained
    assert "lm_head.weight" not in trained and "model.embed_tokens.weight" not in trained
    gentle, full = parameter_groups(model, 1e-3)  # the pretrained part is stepped gently
    assert gentle["lr"] < full["lr"] and {id(p) for p in gentle["params"]} == {
        id(p) for p in model.network.parameters() if p.requires_grad}


def test_too_little_text_is_refused_saying_how_much_is_needed(smollm2):
    for empty in ("", "   \n "):
        with pytest.raises(InputError, match="lm.no_text"):
            save_text(empty)
    with pytest.raises(InputError, match=r"lm.too_little_text\(tokens=\d+, needed=321"):
        passages(save_text("Too short to fine-tune on."))
    with pytest.raises(InputError, match="lm.unknown_topic"):
        documents("bbc-weather")
    with pytest.raises(InputError, match="lm.no_text_set"):
        documents("0123456789abcdef")
    assert len(documents("")) == len(documents("bbc-tech")) == CORPUS_ARTICLES


def test_a_text_with_fewer_passages_than_a_batch_is_refused_before_the_run(smollm2, tmp_path):
    runner = Runner(RunStore(tmp_path))
    try:
        with pytest.raises(InputError, match="training.batch_too_large"):
            runner.start(TrainConfig("lm-lora", "lora-4", "adamw", 2e-3, batch_size=64, epochs=1,
                                     dataset=save_text(orders(60))))
        assert runner.store.runs() == []
    finally:
        runner.close()


def test_a_loss_that_blows_up_stops_the_run_with_the_reason_and_keeps_the_curve(order_text, tmp_path):
    runner = Runner(RunStore(tmp_path))
    try:
        run_id = runner.start(TrainConfig("lm-lora", "lora-4", "adamw", 10, batch_size=4, epochs=2,
                                          dataset=order_text))
        state = runner.wait(run_id, timeout=600)
        assert state.status == "diverged" and state.message.key == "training.diverged"
        assert not math.isfinite(state.message.values["loss"]) or state.message.values["loss"] > 10
        points = runner.store.points(run_id)
        assert points and points[0].split == "train" and state.saved_model is None
    finally:
        runner.close()
