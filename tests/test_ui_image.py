import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests_paths import ASSETS

pytestmark = pytest.mark.slow


def test_classify_endpoint_returns_top5_with_espresso_first(client):
    result = client.predict(handle_file(str(ASSETS / "images" / "coffee.jpg")), "efficientnet-lite0",
                            api_name="/classify")
    assert result["label"] == "espresso"
    assert len(result["confidences"]) == 5


def test_classify_endpoint_explains_a_file_that_is_not_an_image(client, tmp_path):
    fake = tmp_path / "notes.jpg"
    fake.write_text("this is text renamed as an image")
    with pytest.raises(AppError, match="not an image"):
        client.predict(handle_file(str(fake)), "efficientnet-lite0", api_name="/classify")
    # The app keeps serving after bad input.
    again = client.predict(handle_file(str(ASSETS / "images" / "chelsea.jpg")), "efficientnet-lite0",
                           api_name="/classify")
    assert "cat" in again["label"] or "Mau" in again["label"]
