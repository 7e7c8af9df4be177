"""The Training tab in a real browser: one click on Train with the default task and variants (fewer epochs), the
loss curve fills with points while the runs train, and the finished runs are listed in the runs table."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from test_pages import MODEL_SECONDS, UI_SECONDS, open_studio, open_tab, screenshot, table_rows, wait_for

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
    final = wait_for(browser, lambda d: plotted_points(d, "train-curves") >= first and plotted_points(d, "train-curves"),
                     UI_SECONDS, "the whole curves drawn")
    screenshot(browser, screenshots, "training-run")
    assert final >= 2 * EPOCHS  # at least the validation points of both runs, besides the per-step train points
