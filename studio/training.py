"""Training tab: train small variants side by side, watch their loss curves grow live, keep every run.

The handlers are plain functions taking the tab's `Runner` first (its store is `runner.store`); `build`
only lays out and wires, binding them to the runner it starts.
"""
import time

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from models.errors import InputError, Phrase
from models.registry import ModelRegistry
from models.training import saved
from models.training.config import OPTIMIZERS, TrainConfig
from models.training.image_sets import MAX_CLASSES
from models.training.paths import START, optimizer_paths, rosenbrock
from models.training.runner import Runner
from models.training.store import RunRecord, RunStore
from models.training.tasks import TASKS
from studio import concepts, exports
from studio.common import in_user_language, user_errors
from studio.handlers import bind
from studio.i18n import redraw_on_language_change, say, t
from studio import lm_panels, whisper_panels
from studio.lm_panels import LM_TASK, build_text_panel, text_dataset
from studio.recognizer import build_recognizer_panel
from studio.training_panels import build_class_panel, build_keyword_panel, image_set_id
from studio.whisper_panels import WHISPER_TASK, build_clip_panel, clip_dataset

ENDPOINTS = {"train": "train", "runs": "runs", "stop_run": "stop", "run_curve": "curve"}
RUN_COLUMNS = ["run", "task", "variant", "optimizer", "lr", "batch", "epochs", "seed", "status",
               "val_loss", "val_accuracy", "seconds", "workers", "throughput", "allreduce"]  # keys training.column.*
MAX_PLOTTED_STEPS = 600  # per run; longer runs are thinned so the plot stays quick to send and draw
COLOURS = ["#4338ca", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
INITIAL_TASK = "digits"
FOLLOW_SECONDS = 0.5  # how often the progress bar is updated while runs train
MAX_UI_WORKERS = 8  # the workers slider's end; more than the machine has are capped, with a note
STOP_WAIT_SECONDS = 30


# ---- what the tab shows ------------------------------------------------------------------------------------

def run_label(config: TrainConfig) -> str:
    """How a run is named in legends: variant · optimizer · lr."""
    return say("training.run_label", variant=config.variant, optimizer=say(f"training.optimizer.{config.optimizer}"),
               learning_rate=config.learning_rate)


def said(message: Phrase | None) -> str:
    """A run's message in the user's language; "" when it has none."""
    return "" if message is None else in_user_language(message)


def run_rows(runs: list[RunRecord]) -> list[list]:
    def metric(run: RunRecord, name: str, digits: int):
        value = run.metrics.get(name)
        return None if value is None else round(value, digits)

    return [[run.id, run.config.task, run.config.variant, say(f"training.optimizer.{run.config.optimizer}"),
             run.config.learning_rate, run.config.batch_size, run.config.epochs, run.config.seed, run.status,
             metric(run, "validation_loss", 4), metric(run, "validation_accuracy", 3), metric(run, "seconds", 1),
             run.config.workers, throughput(run), metric(run, "allreduce_share", 3)]
            for run in runs]


def throughput(run: RunRecord) -> str | None:
    """Examples per second of each worker, "2850 · 2853", from the run's last epoch."""
    rates = run.metrics.get("examples_per_second")
    return None if rates is None else " · ".join(f"{rate:.0f}" for rate in rates)


def run_table(runs: list[RunRecord]) -> dict:
    """The runs with headers in the user's language."""
    return {"data": run_rows(runs), "headers": [say(f"training.column.{column}") for column in RUN_COLUMNS]}


def variant_choices(task: str) -> list[tuple]:
    return [(t(f"training.variant.{variant}"), variant) for variant in TASKS[task].variants]


def run_choices(runs: list[RunRecord]) -> list[tuple[str, int]]:
    return [(f"#{run.id} {run_label(run.config)} ({run.config.task}, {run.status})", run.id) for run in runs]


def curve_figures(store: RunStore, run_ids: list[int], log_scale: bool) -> tuple[go.Figure, go.Figure]:
    """Loss (train per step, validation per epoch) and validation accuracy, one colour per run, against epochs."""
    loss, accuracy = go.Figure(), go.Figure()
    for number, run_id in enumerate(sorted(run_ids)):
        run = store.run(run_id)
        if run is None:
            continue
        points = store.points(run_id)
        train = [p for p in points if p.split == "train"]
        train = train[::max(1, len(train) // MAX_PLOTTED_STEPS)]
        validation = [p for p in points if p.split == "validation"]
        colour, name = COLOURS[number % len(COLOURS)], f"#{run.id} {run_label(run.config)}"
        if run.status == "diverged":
            name += " " + say("training.plot.diverged")
        loss.add_trace(go.Scatter(x=[p.epoch for p in train], y=[p.loss for p in train], mode="lines",
                                  name=f"{name} · {say('training.plot.train')}", legendgroup=name, opacity=0.55,
                                  line=dict(color=colour, width=1)))
        loss.add_trace(go.Scatter(x=[p.epoch for p in validation], y=[p.loss for p in validation],
                                  mode="lines+markers", name=f"{name} · {say('training.plot.validation')}",
                                  legendgroup=name, line=dict(color=colour, width=2.5, dash="dash")))
        accuracy.add_trace(go.Scatter(x=[p.epoch for p in validation], y=[p.accuracy for p in validation],
                                      mode="lines+markers", name=name, line=dict(color=colour)))
    loss.update_layout(title=say("training.plot.loss"), height=420, xaxis_title=say("training.plot.epoch"),
                       yaxis_title=say("training.plot.cross_entropy"), legend=dict(orientation="h", y=-0.25),
                       margin=dict(t=50, r=20), uirevision="keep")  # keep the user's zoom across updates
    loss.update_yaxes(type="log" if log_scale else "linear")
    accuracy.update_layout(title=say("training.plot.accuracy"), height=300, xaxis_title=say("training.plot.epoch"),
                           yaxis=dict(range=[0, 1.02], title=say("training.plot.accuracy_axis")),
                           legend=dict(orientation="h", y=-0.35), margin=dict(t=50, r=20), uirevision="keep")
    return loss, accuracy


def paths_figure(steps: int, learning_rate_scale: float) -> go.Figure:
    x, y = np.linspace(-2, 2, 200), np.linspace(-1, 3, 200)
    surface = np.log10(1 + rosenbrock(*np.meshgrid(x, y)))
    figure = go.Figure(go.Contour(x=x, y=y, z=surface, colorscale="Greys", showscale=False, ncontours=30,
                                  hoverinfo="skip", opacity=0.6))
    for (name, path), colour in zip(optimizer_paths(int(steps), float(learning_rate_scale)).items(), COLOURS):
        end = path[-1]
        figure.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", line=dict(color=colour, width=2),
                                    name=say("training.plot.path", name=say(f"training.path.{name}"),
                                             steps=len(path) - 1, loss=rosenbrock(*end))))
        figure.add_trace(go.Scatter(x=[end[0]], y=[end[1]], mode="markers", marker=dict(color=colour, size=9),
                                    showlegend=False))
    figure.add_trace(go.Scatter(x=[START[0], 1], y=[START[1], 1], mode="markers+text",
                                text=[say("training.plot.start"), say("training.plot.minimum")],
                                textposition="top center", marker=dict(symbol="star", size=13, color="black"),
                                showlegend=False))
    figure.update_layout(height=460, xaxis=dict(range=[-2, 2]), yaxis=dict(range=[-1, 3]),
                         legend=dict(orientation="h", y=-0.15), margin=dict(t=20, r=20), title=None)
    return figure


def describe(runner: Runner, run_ids: list[int]) -> str:
    """One Markdown line per run: its label, status, and progress or message."""
    lines = []
    for run_id in run_ids:
        state = runner.state(run_id)
        if state is None:
            continue
        line = f"**#{run_id} {run_label(state.config)}**: {say(f'training.status.{state.status}')}"
        if state.status == "running":
            line += ", " + say("training.step", step=state.step, total=state.total_steps)
            if state.eta_seconds is not None:
                line += ", " + say("training.eta", seconds=state.eta_seconds)
        if state.message:  # while running, a note on its settings (workers capped); after, why it ended so
            line += f" — {said(state.message)}"
        lines.append(("⚠️ " if state.status in ("diverged", "failed") else "") + line)
    return "\n\n".join(lines)


def runs_view(runner: Runner, shown: list[int]):
    """The runs table and the shown-runs choices, keeping only the shown runs that still exist."""
    runs = runner.store.runs()
    known = {run.id for run in runs}
    return run_table(runs), gr.CheckboxGroup(choices=run_choices(runs), value=[i for i in shown or [] if i in known])


# ---- the tab's events ---------------------------------------------------------------------------------------

@user_errors
def start_runs(runner: Runner, task, variants, optimizer, learning_rate, batch_size, epochs, seed, validation_split,
               workers, shown, *panels):
    """Check every ticked variant's config, then queue them all: (their run ids, table, choices, timer, status).
    `panels`: the class panel's inputs, then the text panel's, then the clip panel's (a run's dataset)."""
    if not variants:
        raise InputError.of("training.no_variant")
    dataset = run_dataset(task, *panels)
    chosen = [TrainConfig(task, variant, optimizer, learning_rate, batch_size, epochs, seed, validation_split, dataset,
                          workers) for variant in variants]
    for config in chosen:  # all checked before any starts
        config.validate()
    started = [runner.start(config) for config in chosen]
    table, choices = runs_view(runner, list(shown or []) + started)
    return started, table, choices, gr.Timer(active=True), describe(runner, started)


def run_dataset(task: str, *panels) -> str:
    """The dataset of a run of `task`: the image set the class panel holds, the text the text panel names, the
    clips the clip panel holds, or ""."""
    classes, text, clips = panels[:2 * MAX_CLASSES], panels[2 * MAX_CLASSES:2 * MAX_CLASSES + 3], panels[-4:]
    if task == LM_TASK:
        return text_dataset(*text)
    if task == WHISPER_TASK:
        return clip_dataset(*clips)
    return image_set_id(*classes) if TASKS[task].uses_dataset else ""


@user_errors
def prepare_data(task: str, source: str, uploads, texts: str, recorded, progress=gr.Progress()) -> None:
    """Before a run: make the task's data if it takes minutes the first time (the recognizer's recordings, the
    Whisper clips' encoder states); then the clip panel's inputs."""
    if task == WHISPER_TASK:
        whisper_panels.prepare_clips(source, uploads, texts, recorded, progress)
    elif TASKS[task].prepare:
        TASKS[task].prepare(lambda fraction, message: progress(fraction, desc=in_user_language(message)))


def follow(runner: Runner, active: list[int], progress=gr.Progress()):
    """Holds the progress bar until this session's runs end; the timer draws the curves meanwhile."""
    while active:
        states = [runner.state(run_id) for run_id in active]
        total = sum(state.total_steps for state in states) or 1
        left = sum((state.eta_seconds or 0) for state in states)
        progress(sum(state.step for state in states) / total,
                 desc=say("training.progress", count=sum(s.status in ("queued", "running") for s in states))
                      + (", " + say("training.eta", seconds=left) if left else ""))
        if all(state.done.is_set() for state in states):
            break
        time.sleep(FOLLOW_SECONDS)
    return describe(runner, active), gr.Timer(active=False)


def stop_runs(runner: Runner, active: list[int]):
    for run_id in active or []:
        runner.stop(run_id)
    return describe(runner, active or [])


def refresh(runner: Runner, shown, log_scale, active, statuses):
    """The curves every tick; the runs list only when a run changed status, so it is not redrawn each second."""
    loss, accuracy = curve_figures(runner.store, shown or [], log_scale)
    now = [(run_id, runner.state(run_id).status) for run_id in active or []]
    table, choices = runs_view(runner, shown) if now != statuses else (gr.skip(), gr.skip())
    return loss, accuracy, describe(runner, active or []), table, choices, now


def toggle_from_table(shown: list[int], event: gr.SelectData):
    """A click on a run's row shows it in the plots, or hides it."""
    run_id = int(event.row_value[0])
    shown = list(shown or [])
    return [i for i in shown if i != run_id] if run_id in shown else shown + [run_id]


def delete_runs(runner: Runner, shown: list[int]):
    """Delete the shown runs that ended, with their saved models; a run still training is kept, with a warning."""
    for run_id in shown or []:
        run = runner.store.run(run_id)
        if run and run.status in ("queued", "running"):
            gr.Warning(say("training.still_running", run=run_id))
        elif run:
            runner.store.delete(run_id)
            saved.delete(run_id)
    return runs_view(runner, shown or [])


@user_errors
def export_runs(runner: Runner, shown: list[int]):
    if not shown:
        raise InputError.of("training.nothing_to_export")
    folder = exports.folder("runs")
    return gr.File(str(runner.store.export_csv(sorted(shown), folder / "runs.csv")), visible=True)


def task_defaults(task: str):
    """On a task change: its variants all ticked, its one-click settings, and the class panel for my-images."""
    defaults = TASKS[task].defaults
    return (gr.CheckboxGroup(choices=variant_choices(task), value=list(TASKS[task].variants)), defaults.optimizer,
            defaults.learning_rate, defaults.batch_size, defaults.epochs,
            gr.Column(visible=TASKS[task].uses_dataset and task not in (LM_TASK, WHISPER_TASK)))  # theirs: text, clips


# ---- the API (gr.api reads the type hints and docstrings) ----------------------------------------------------

@user_errors
def train(runner: Runner, task: str = "digits", variant: str = "mlp", optimizer: str = "adam",
          learning_rate: float = 3e-3, batch_size: int = 32, epochs: int = 10, seed: int = 0,
          validation_split: float = 0.2, dataset: str = "", workers: int = 1) -> dict:
    """Train one small model to the end (seconds to minutes) and report how it went.

    Args:
        task: the training task: "digits", "seq2seq", "text", "images", "my-images", "keywords", "lm-lora", ...
        variant: the task's model, e.g. "mlp" or "cnn" for digits
        optimizer: "sgd", "momentum", "adam" or "adamw"
        learning_rate: the step size, above 0 and at most 10
        batch_size: examples per step, 1 to 4096
        epochs: passes over the training set, 1 to 500
        seed: the random seed (the same seed gives the same run)
        validation_split: the share of the data held out for validation, e.g. 0.2
        dataset: the my-images task's image set; for lm-lora the text: "bbc-<topic>" or what finetune_text returned
            (empty: bbc-tech); for whisper-finetune the clips: what finetune_clips returned (empty: the default
            phrases); empty for the other tasks
        workers: processes sharing each batch (torch.distributed DDP: gloo on CPU, NCCL on GPUs); more than the
            machine's cores (or GPUs) are capped, and the message says so

    Returns:
        {run_id, status, message, metrics, config, saved_model}: the key of the model it saved (image, keyword,
        lm-lora and whisper-finetune tasks; an image model is then a model choice of classify, a fine-tuned SmolLM2
        one of attention, a fine-tuned Whisper one of transcribe).
        metrics has examples_per_second (one rate per worker) and, for several workers, world_size and
        allreduce_share (of the time in training steps).
    """
    run_id = runner.start(TrainConfig(task, variant, optimizer, learning_rate, batch_size, epochs, seed,
                                      validation_split, dataset, workers))
    state = runner.wait(run_id)
    return {"run_id": run_id, "status": state.status, "message": said(state.message),
            "metrics": runner.store.run(run_id).metrics, "config": state.config.__dict__,
            "saved_model": state.saved_model}


def runs(runner: Runner) -> list[dict]:
    """Every stored training run, newest first.

    Returns:
        A list of {run_id, status, message, config, metrics}.
    """
    return [{"run_id": run.id, "status": run.status, "message": said(run.message), "config": run.config.__dict__,
             "metrics": run.metrics} for run in runner.store.runs()]


@user_errors
def stop_run(runner: Runner, run_id: int) -> dict:
    """Stop a training run; stopping a run that already ended changes nothing.

    Args:
        run_id: the run's id (from train or runs)

    Returns:
        {run_id, status}.
    """
    run = runner.store.run(int(run_id))
    if run is None:
        raise InputError.of("training.no_run", run_id=run_id)
    runner.stop(run.id)
    state = runner.state(run.id)
    if state is None:  # a run of an earlier process: already ended or interrupted
        return {"run_id": run.id, "status": run.status}
    return {"run_id": run.id, "status": runner.wait(run.id, timeout=STOP_WAIT_SECONDS).status}


@user_errors
def run_curve(runner: Runner, run_id: int) -> list[dict]:
    """The learning curve of a training run so far.

    Args:
        run_id: the run's id (from train or runs)

    Returns:
        A list of {split (train / validation), step, epoch, loss, accuracy}.
    """
    if runner.store.run(int(run_id)) is None:
        raise InputError.of("training.no_run", run_id=run_id)
    return [{"split": p.split, "step": p.step, "epoch": p.epoch, "loss": p.loss, "accuracy": p.accuracy}
            for p in runner.store.points(int(run_id))]


# ---- layout and wiring --------------------------------------------------------------------------------------

def build(registry: ModelRegistry) -> None:
    runner = Runner(RunStore(), registry.device)
    store = runner.store
    defaults = TASKS[INITIAL_TASK].defaults
    with gr.Tab(t("training.tab"), id="training"):
        gr.Markdown(t("training.intro"))
        if store.notice:
            gr.Markdown(f"⚠️ {said(store.notice)}")
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                task = gr.Dropdown([(t(f"training.task.{key}"), key) for key in TASKS], value=INITIAL_TASK,
                                   label=t("training.task"), elem_id="train-task")
                variants = gr.CheckboxGroup(variant_choices(INITIAL_TASK), value=list(TASKS[INITIAL_TASK].variants),
                                            label=t("training.variants"))
                optimizer = gr.Dropdown([(t(f"training.optimizer.{key}"), key) for key in OPTIMIZERS],
                                        value=defaults.optimizer, label=t("training.optimizer"))
                learning_rate = gr.Number(defaults.learning_rate, label=t("training.learning_rate"))
                with gr.Row():
                    batch_size = gr.Number(defaults.batch_size, label=t("training.batch_size"), precision=0)
                    epochs = gr.Number(defaults.epochs, label=t("training.epochs"), precision=0,
                                       elem_id="train-epochs")
                    seed = gr.Number(0, label=t("training.seed"), precision=0)
                validation_split = gr.Slider(0.05, 0.5, 0.2, step=0.05, label=t("training.validation_split"))
                workers = gr.Slider(1, MAX_UI_WORKERS, 1, step=1, label=t("training.workers"), elem_id="train-workers")
                with gr.Row():
                    start = gr.Button(t("training.start"), variant="primary", elem_id="train-start")
                    stop = gr.Button(t("training.stop"), variant="stop", elem_id="train-stop")
                status = gr.Markdown(elem_id="train-status")
            with gr.Column(scale=2):
                log_scale = gr.Checkbox(True, label=t("training.log_scale"))
                loss_plot = gr.Plot(label=t("training.loss"), elem_id="train-curves")
                accuracy_plot = gr.Plot(label=t("training.accuracy"), elem_id="train-accuracy")
        classes = build_class_panel()
        text = build_text_panel()
        clips = build_clip_panel()
        gr.Markdown(t("training.runs_heading"))
        runs_table = gr.Dataframe(lambda: run_table(store.runs()), interactive=False, elem_id="train-runs")
        shown = gr.CheckboxGroup(run_choices(store.runs()), value=[], label=t("training.shown"))
        with gr.Row():
            refresh_runs = gr.Button(t("training.refresh"), size="sm")
            delete = gr.Button(t("training.delete"), size="sm", elem_classes=["developer"])
            export = gr.Button(t("training.export"), size="sm", elem_classes=["developer"])
        csv_file = gr.File(label=t("training.csv"), visible=False, interactive=False)
        build_keyword_panel()
        build_recognizer_panel()
        lm_panels.build_comparison_panel(registry)
        whisper_panels.build_comparison_panel(registry)
        with gr.Accordion(t("training.paths"), open=False):
            with gr.Row():
                path_steps = gr.Slider(10, 5000, 1000, step=10, label=t("training.path_steps"))
                path_scale = gr.Slider(0.25, 4, 1, step=0.25, label=t("training.path_scale"))
            paths_plot = gr.Plot(elem_id="train-paths")  # drawn on page load, in the page's language
        with gr.Row():
            with gr.Column():
                concepts.note("training")
            activations = gr.Plot(concepts.activation_figure, label=t("training.activations"),
                                  elem_id="train-activations")
        active = gr.State([])  # this session's latest runs
        statuses = gr.State([])  # their statuses when the runs list was last drawn
        timer = gr.Timer(1.0, active=False)

        settings = [task, variants, optimizer, learning_rate, batch_size, epochs, seed, validation_split, workers]
        live = [shown, log_scale, active, statuses]
        live_outputs = [loss_plot, accuracy_plot, status, runs_table, shown, statuses]
        task.change(task_defaults, task, [variants, optimizer, learning_rate, batch_size, epochs, classes.panel],
                    api_name=False)
        task.change(lambda key: (gr.Column(visible=key == LM_TASK), gr.Column(visible=key == WHISPER_TASK)), task,
                    [text.panel, clips.panel], api_name=False)
        start.click(prepare_data, [task, *clips.inputs], None, api_name=False) \
            .success(bind(start_runs, runner), [*settings, shown, *classes.inputs, *text.inputs, *clips.inputs],
                     [active, runs_table, shown, timer, status], api_name=False) \
            .success(bind(follow, runner), active, [status, timer], api_name=False) \
            .then(bind(refresh, runner), live, live_outputs, api_name=False)
        stop.click(bind(stop_runs, runner), active, status, api_name=False)
        timer.tick(bind(refresh, runner), live, live_outputs, api_name=False, show_progress="hidden")
        for control in (shown, log_scale):
            control.change(bind(refresh, runner), live, live_outputs, api_name=False, show_progress="hidden")
        runs_table.select(toggle_from_table, shown, shown, api_name=False)
        redraw_on_language_change(lambda: run_table(store.runs()), runs_table)
        redraw_on_language_change(concepts.activation_figure, activations)
        redraw_on_language_change(paths_figure, paths_plot, [path_steps, path_scale])
        refresh_runs.click(bind(runs_view, runner), shown, [runs_table, shown], api_name=False)
        delete.click(bind(delete_runs, runner), shown, [runs_table, shown], api_name=False)
        export.click(bind(export_runs, runner), shown, csv_file, api_name=False)
        for control in (path_steps, path_scale):
            control.release(user_errors(paths_figure), [path_steps, path_scale], paths_plot, api_name=False)
        for handler in (train, runs, stop_run, run_curve):
            gr.api(bind(handler, runner), api_name=ENDPOINTS[handler.__name__])
