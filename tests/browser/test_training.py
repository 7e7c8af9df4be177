"""The Training tab in a real browser: one click on Train with the default task and variants (fewer epochs), the
loss curve fills with points while the runs train, and the finished runs are listed in the runs table; your own
classes, from uploaded photos, train and their model appears in the Image tab."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.browser_harness import ASSETS, MODEL_SECONDS, UI_SECONDS, open_studio, open_tab, screenshot, table_rows, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EPOCHS = 2
TRAINING_SECONDS = 300  # two small digit models, two epochs each, on a busy 2-core CPU
STATUS_COLUMN, TASK_COLUMN, EPOCHS_COLUMN = 8, 1, 6  # of studio.training.RUN_COLUMNS


def plotted_points(driver, elem_id: str) -> int:
    """How many points all the traces of the plotly figure inside #elem_id hold."""
    return driver.execute_script("""
        const plot = document.querySelector(`#${arguments[0]} .js-plotly-plot`);
        return plot && plot.data ? plot.data.reduce((sum, trace) => sum + (trace.x ? trace.x.length : 0), 0) : 0;""",
                                 elem_id)


def finished_digit_runs(driver) -> list[list[str]]:
    return [row for row in table_rows(driver, "train-runs") if len(row) > STATUS_COLUMN
            and row[TASK_COLUMN] == "digits" and row[EPOCHS_COLUMN] == str(EPOCHS) and row[STATUS_COLUMN] == "finished"]


def test_train_from_the_ui_draws_the_curves_and_lists_the_runs(browser, studio_url, screenshots):
    open_studio(browser, studio_url)
    open_tab(browser, "training")
    already = len(finished_digit_runs(browser))
    epochs = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#train-epochs input"), UI_SECONDS,
                      "the Epochs box")
    epochs.send_keys(Keys.CONTROL, "a")
    epochs.send_keys(str(EPOCHS), Keys.TAB)
    browser.find_element(By.CSS_SELECTOR, "#train-start").click()

    first = wait_for(browser, lambda d: plotted_points(d, "train-curves"), MODEL_SECONDS,
                     "points on the loss curve", shows=lambda d: d.find_element(By.ID, "train-status").text)
    runs = wait_for(browser, lambda d: len(finished_digit_runs(d)) >= already + 2 and finished_digit_runs(d),
                    TRAINING_SECONDS, "both default variants listed as finished in the runs table",
                    shows=lambda d: table_rows(d, "train-runs")[:4])
    assert {row[2] for row in runs} >= {"mlp", "cnn"}
    final = wait_for(browser, lambda d: plotted_points(d, "train-curves") >= first
                     and plotted_points(d, "train-curves"), UI_SECONDS, "the whole curves drawn")
    screenshot(browser, screenshots, "training-run")
    assert final >= 2 * EPOCHS  # at least the validation points of both runs, besides the per-step train points


def test_your_own_classes_from_uploads_train_and_become_an_image_model(browser, studio_url, screenshots, tmp_path):
    from PIL import Image

    open_studio(browser, studio_url)
    open_tab(browser, "training")
    field = browser.find_element(By.CSS_SELECTOR, "#train-task input[role='combobox']")
    field.click()
    wait_for(browser, EC.element_to_be_clickable((By.CSS_SELECTOR, "li[role='option'][aria-label^='Your own']")),
             UI_SECONDS, "the 'Your own classes' task").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "train-my-classes").is_displayed(), UI_SECONDS,
             "the class panel")
    for index, (name, photo) in enumerate((("cat", "chelsea.jpg"), ("coffee", "coffee.jpg"))):
        image = Image.open(ASSETS / "images" / photo).convert("RGB")
        shots = []
        for number in range(3):  # three different squares of the photo: a user's few shots of one thing
            side = min(image.size) * 3 // 4
            left = (image.width - side) * number // 2
            shots.append(tmp_path / f"{name}-{number}.png")
            image.crop((left, 0, left + side, side)).save(shots[-1])
        browser.find_element(By.CSS_SELECTOR, f"#train-class-{index} textarea, #train-class-{index} input") \
            .send_keys(name)
        browser.find_element(By.CSS_SELECTOR, f"#train-photos-{index} input[type='file']") \
            .send_keys("\n".join(str(shot) for shot in shots))
        wait_for(browser, lambda d, i=index: len(d.find_elements(By.CSS_SELECTOR, f"#train-photos-{i} img")) >= 3,
                 UI_SECONDS, f"the photos of {name!r} in the gallery")
    browser.find_element(By.CSS_SELECTOR, "#train-start").click()

    def finished_runs(d):
        rows = [row for row in table_rows(d, "train-runs") if len(row) > STATUS_COLUMN
                and row[TASK_COLUMN] == "my-images" and row[STATUS_COLUMN] == "finished"]
        return len(rows) >= 3 and rows

    wait_for(browser, finished_runs, TRAINING_SECONDS, "the three variants finished on your classes",
             shows=lambda d: d.find_element(By.ID, "train-status").text)
    screenshot(browser, screenshots, "training-your-classes")
    open_tab(browser, "image")
    field = browser.find_element(By.CSS_SELECTOR, "#image-model input[role='combobox']")
    field.click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "li[role='option'][aria-label*='cat, coffee']")),
             UI_SECONDS, "a model trained on cat and coffee among the Image tab's models")
