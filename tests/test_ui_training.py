import pytest
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.slow


def test_train_endpoint_runs_to_the_end_and_the_run_is_listed(client):
    result = client.predict("digits", "cnn", "adam", 3e-3, 64, 2, 0, 0.2, api_name="/train")
    assert result["status"] == "finished"
    assert result["metrics"]["validation_accuracy"] > 0.5
    assert result["config"]["variant"] == "cnn"
    runs = client.predict(api_name="/runs")
    [listed] = [run for run in runs if run["run_id"] == result["run_id"]]
    assert listed["status"] == "finished" and listed["metrics"] == result["metrics"]


def test_train_endpoint_explains_a_bad_config_and_flags_a_diverging_run(client):
    with pytest.raises(AppError, match="Learning rate must be above 0"):
        client.predict(task="digits", variant="mlp", learning_rate=-1, api_name="/train")
    with pytest.raises(AppError, match="Epochs"):
        client.predict(task="digits", variant="mlp", epochs=0, api_name="/train")
    diverged = client.predict(task="digits", variant="mlp", optimizer="sgd", learning_rate=10, epochs=2,
                              api_name="/train")
    assert diverged["status"] == "diverged" and "Lower the learning rate" in diverged["message"]
