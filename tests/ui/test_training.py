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


def test_an_image_model_fine_tuned_here_is_a_model_choice_of_classify(client, tmp_path):
    from gradio_client import handle_file
    from PIL import Image

    from models.training.image_sets import digit_photos

    result = client.predict(task="images", variant="frozen", optimizer="adam", learning_rate=1e-2, batch_size=32,
                            epochs=3, api_name="/train")
    assert result["status"] == "finished", result["message"]
    assert result["saved_model"] == f"trained-run-{result['run_id']}"
    digits = digit_photos()
    photo = ((digits.inputs[0][0].permute(1, 2, 0) + 1) * 127.5).byte().numpy()
    Image.fromarray(photo).save(tmp_path / "digit.png")
    answer = client.predict(handle_file(str(tmp_path / "digit.png")), result["saved_model"], api_name="/classify")
    assert answer["label"] in digits.classes
    assert len(answer["confidences"]) == 5
    with pytest.raises(AppError, match="No model named"):
        client.predict(handle_file(str(tmp_path / "digit.png")), "trained-run-99999", api_name="/classify")


def test_a_keyword_model_trained_here_hears_a_recording(client, tmp_path):
    import soundfile
    from gradio_client import handle_file

    from models.training.keywords import KEYWORDS_FOLDER

    result = client.predict(task="keywords", variant="cnn", optimizer="adam", learning_rate=3e-3, batch_size=32,
                            epochs=1, api_name="/train")
    assert result["status"] == "finished", result["message"]
    samples, rate = soundfile.read(KEYWORDS_FOLDER / "keywords.flac", frames=24000)  # the first clips: "yes"
    soundfile.write(tmp_path / "yes.wav", samples, rate)
    heard = client.predict(result["saved_model"], handle_file(str(tmp_path / "yes.wav")), api_name="/try_keyword")
    assert heard["label"] in ("yes", "no", "up", "down", "left", "right", "stop", "go")
    assert len(heard["confidences"]) == 3
    with pytest.raises(AppError, match="No keyword model"):
        client.predict("trained-run-99999", handle_file(str(tmp_path / "yes.wav")), api_name="/try_keyword")
