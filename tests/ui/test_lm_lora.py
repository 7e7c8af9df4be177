"""Fine-tuning SmolLM2 through the launched app's API: a text sent, a short LoRA run, the fine-tuned model against
the original (perplexity, continuations, sizes) and in the Attention tab's API; too little text said in words."""
import pytest
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.slow

SHIPS = ["Aurora", "Beacon", "Comet", "Dolphin", "Ember", "Falcon"]
PORTS = ["Oslo", "Genoa", "Lisbon", "Antwerp", "Gdansk"]


def manifest(lines: int) -> str:
    """Lines of one fixed form ("Ship Comet left Genoa with 7 tons of tea."): a few steps learn their next tokens."""
    return "\n".join(f"Ship {SHIPS[n % len(SHIPS)]} left {PORTS[n % len(PORTS)]} with {n % 8 + 2} tons of tea."
                     for n in range(lines))


def test_a_lora_run_on_sent_text_lowers_held_out_perplexity_and_the_model_is_an_attention_choice(client):
    dataset = client.predict(manifest(70), api_name="/finetune_text")
    result = client.predict(task="lm-lora", variant="lora-4", optimizer="adamw", learning_rate=5e-3, batch_size=4,
                            epochs=1, dataset=dataset, api_name="/train")
    assert result["status"] == "finished", result["message"]
    assert result["config"]["dataset"] == dataset and result["saved_model"] == f"trained-run-{result['run_id']}"

    compared = client.predict(result["run_id"], "Ship Comet left", api_name="/compare_language_models")
    assert compared["perplexity_after"] < compared["perplexity_before"]
    assert compared["prompts"] == ["Ship Comet left"] and len(compared["before"]) == len(compared["after"]) == 1
    assert compared["after"][0].strip() and compared["before"][0].strip()
    assert compared["saved_bytes"] < compared["model_bytes"] / 100  # a rank-4 adapter: about 0.2 % of the model
    assert compared["saved_parameters"] == 30 * 4 * (576 + 576 + 576 + 192)

    maps = client.predict(result["saved_model"], "Ship Comet left Genoa", 0, -1, api_name="/attention")
    assert maps["model"] == result["saved_model"] and maps["maps"][0]["kind"]


def test_too_little_or_no_text_is_refused_in_words(client):
    with pytest.raises(AppError, match="No text to fine-tune on"):
        client.predict("  ", api_name="/finetune_text")
    tiny = client.predict("Ship Aurora left Oslo.", api_name="/finetune_text")
    with pytest.raises(AppError, match=r"only \d+ tokens long.*Add more text"):
        client.predict(task="lm-lora", variant="lora-4", optimizer="adamw", learning_rate=2e-3, batch_size=4,
                       epochs=1, dataset=tiny, api_name="/train")
    with pytest.raises(AppError, match="No fine-tuned language model"):
        client.predict(99999, "", api_name="/compare_language_models")
    with pytest.raises(AppError, match="No BBC News topic"):
        client.predict(task="lm-lora", variant="lora-4", dataset="bbc-weather", api_name="/train")
