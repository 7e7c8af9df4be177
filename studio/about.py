"""Models tab: every model in the registry, where its weights come from, and whether it is loaded."""
import gradio as gr

from models.registry import ModelRegistry
from studio import concepts
from studio.common import in_user_language, said_model_title
from studio.i18n import redraw_on_language_change, say, t

COLUMNS = ["model", "task", "weights", "hub", "licence", "params", "size", "status"]  # keys models.column.*


def model_rows(registry: ModelRegistry) -> list[list]:
    def status(key: str, usable: bool) -> str:
        if not usable:
            return say("models.status.not_installed")
        if key in registry.failures:
            return say("models.status.failed", reason=in_user_language(registry.failures[key]))
        record = registry.loads.get(key)
        if record is None:
            return say("models.status.on_first_use")
        return say("models.status.loaded", seconds=record.seconds, warm_up=record.warm_up_seconds)

    return [[said_model_title(spec.key), say(f"models.task.{spec.task}"), spec.package or say("models.hub"),
             spec.hub_id or "—", spec.licence or say("models.licence_on_card"), spec.params_millions, spec.download_mb,
             status(spec.key, spec.usable)] for spec in registry.specs]


def model_table(registry: ModelRegistry) -> dict:
    """The rows with headers in the user's language (read on every page load and refresh)."""
    return {"data": model_rows(registry), "headers": [say(f"models.column.{column}") for column in COLUMNS]}


def build(registry: ModelRegistry) -> None:
    with gr.Tab(t("models.tab"), id="models"):
        gr.Markdown(f"🖥️ **{registry.device}** · " + t("models.intro"))
        table = gr.Dataframe(lambda: model_table(registry), interactive=False, elem_id="model-table")
        gr.Button(t("models.refresh"), elem_id="model-refresh").click(lambda: model_table(registry), None, table,
                                                                      api_visibility="private")
        redraw_on_language_change(lambda: model_table(registry), table)
        concepts.note("models")
