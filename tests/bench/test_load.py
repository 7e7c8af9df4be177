import pytest

from bench.load import run_load
from studio.launcher import launch_studio

pytestmark = pytest.mark.slow

USERS, SECONDS = 6, 20
MAX_GROWTH_MB = 1500  # the queue holds the rest: memory grows with the running requests, not with the users


def test_six_users_for_twenty_seconds_get_every_answer_and_memory_stays_bounded(tmp_path):
    with launch_studio(tmp_path / "app.log") as (url, process):
        report = run_load(url, process.pid, USERS, SECONDS)
    print(report.table())
    assert report.errors == []
    assert all(figures.calls > 0 for figures in report.endpoints), report.table()
    assert report.peak_rss_mb - report.warm_rss_mb < MAX_GROWTH_MB, report.table()
