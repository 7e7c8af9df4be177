"""Every run kept in SQLite: its config, status, final metrics and curve, surviving restarts and kill -9.

The file lives in the data folder: STUDIO_DATA_DIR, or ~/.model-studio. A run still marked running or
queued whose process is gone is marked interrupted when the store opens; its curve is kept up to the
last points written. A file that is not a readable database is moved aside, never deleted.
"""
import csv
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from models.errors import Phrase
from models.training.config import TrainConfig
from models.training.folders import data_folder
from models.training.loop import Point

FILE_NAME = "runs.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,  -- queued, running, finished, stopped, diverged, failed, interrupted
    owner TEXT NOT NULL,  -- pid:token of the process running it
    metrics TEXT NOT NULL DEFAULT '{}',
    message TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS points (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    split TEXT NOT NULL,
    step INTEGER NOT NULL,
    epoch REAL NOT NULL,
    loss REAL NOT NULL,
    accuracy REAL,
    seconds REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS points_of_run ON points (run_id, step);
"""
RUN_COLUMNS = "id, created, config, status, metrics, message"
# pid alone is not enough: a restarted container reuses pid 1, so each process also has a token
PROCESS_TOKEN = uuid.uuid4().hex[:12]
log = logging.getLogger("studio.training")


@dataclass
class RunRecord:
    id: int
    created: float
    config: TrainConfig
    status: str
    metrics: dict
    message: Phrase | None  # why the run ended as it did, when there is something to say


class RunStore:
    def __init__(self, folder: Path | None = None):
        self.path = (folder or data_folder()) / FILE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.notice: Phrase | None = None  # for the user, when the store had to be repaired
        self._lock = threading.Lock()
        try:
            self._connection = self._open()
        except sqlite3.DatabaseError as error:
            aside = self.path.with_name(f"runs.corrupt-{time.strftime('%Y%m%d-%H%M%S')}.sqlite")
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{self.path}{suffix}").exists():
                    Path(f"{self.path}{suffix}").rename(f"{aside}{suffix}")
            self.notice = Phrase("training.store_moved", path=str(self.path), error=str(error), aside=str(aside))
            log.warning("run store %s could not be read (%s); moved to %s", self.path, error, aside)
            self._connection = self._open()
        self._mark_orphans_interrupted()

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
            connection.execute("PRAGMA journal_mode=WAL")  # readers never wait for the training thread
            connection.execute("PRAGMA foreign_keys=ON")
            connection.executescript(SCHEMA)
        except sqlite3.DatabaseError:
            connection.close()
            raise
        return connection

    def _execute(self, sql: str, parameters=()) -> list[tuple]:
        with self._lock:
            return self._connection.execute(sql, parameters).fetchall()

    def _mark_orphans_interrupted(self) -> None:
        for run_id, owner in self._execute("SELECT id, owner FROM runs WHERE status IN ('queued', 'running')"):
            pid, _, token = owner.partition(":")
            if not _process_alive(int(pid)) or (int(pid) == os.getpid() and token != PROCESS_TOKEN):
                self._execute("UPDATE runs SET status = 'interrupted', message = ? WHERE id = ?",
                              (_stored(Phrase("training.interrupted")), run_id))

    def create_run(self, config: TrainConfig) -> int:
        with self._lock:
            cursor = self._connection.execute(
                "INSERT INTO runs (created, config, status, owner) VALUES (?, ?, 'queued', ?)",
                (time.time(), config.to_json(), f"{os.getpid()}:{PROCESS_TOKEN}"))
            return cursor.lastrowid

    def set_status(self, run_id: int, status: str, metrics: dict | None = None, message: Phrase | None = None) -> None:
        self._execute("UPDATE runs SET status = ?, metrics = ?, message = ? WHERE id = ?",
                      (status, json.dumps(metrics or {}), _stored(message), run_id))

    def add_points(self, run_id: int, points: list[Point]) -> None:
        with self._lock:
            self._connection.execute("BEGIN")
            self._connection.executemany(
                "INSERT INTO points VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(run_id, p.split, p.step, p.epoch, p.loss, p.accuracy, p.seconds) for p in points])
            self._connection.execute("COMMIT")

    def runs(self) -> list[RunRecord]:
        """Newest first."""
        return [_record(row) for row in self._execute(f"SELECT {RUN_COLUMNS} FROM runs ORDER BY id DESC")]

    def run(self, run_id: int) -> RunRecord | None:
        rows = self._execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        return _record(rows[0]) if rows else None

    def points(self, run_id: int, after_step: int = -1) -> list[Point]:
        rows = self._execute("SELECT split, step, epoch, loss, accuracy, seconds FROM points "
                             "WHERE run_id = ? AND step > ? ORDER BY step, split DESC", (run_id, after_step))
        return [Point(*row) for row in rows]

    def delete(self, run_id: int) -> None:
        self._execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def export_csv(self, run_ids: list[int], path: Path) -> Path:
        """One row per point of each run, with the run's config beside it."""
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["run", "task", "variant", "optimizer", "learning_rate", "batch_size", "seed", "status",
                             "split", "step", "epoch", "loss", "accuracy", "seconds"])
            for run_id in run_ids:
                run = self.run(run_id)
                if run is None:
                    continue
                config = run.config
                for point in self.points(run_id):
                    writer.writerow([run.id, config.task, config.variant, config.optimizer, config.learning_rate,
                                     config.batch_size, config.seed, run.status, point.split, point.step,
                                     point.epoch, point.loss, "" if point.accuracy is None else point.accuracy,
                                     point.seconds])
        return path

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def _record(row: tuple) -> RunRecord:
    run_id, created, config, status, metrics, message = row
    return RunRecord(run_id, created, TrainConfig.from_json(config), status, json.loads(metrics), _phrase(message))


def _stored(message: Phrase | None) -> str:
    """A message as the message column keeps it: its key and values as JSON, or "" for none."""
    return "" if message is None else json.dumps({"key": message.key, "values": message.values})


def _phrase(stored: str) -> Phrase | None:
    """The message column back as a Phrase; "" (and the English sentences of older stores) as None."""
    try:
        message = json.loads(stored)
    except json.JSONDecodeError:
        return None
    return Phrase(message["key"], **message["values"]) if isinstance(message, dict) else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True
