"""Models tab: every model in the registry, where its weights come from, and whether it is loaded."""
import gradio as gr

from models.registry import ModelRegistry

COLUMNS = ["Model", "Task", "Weights from", "Hugging Face id", "Licence", "Parameters (M)", "Size (MB)", "Status"]


def model_rows(registry: ModelRegistry) -> list[list]:
    def status(key: str, installed: bool) -> str:
        if not installed:
            return "not installed"
        record = registry.loads.get(key)
        return f"loaded in {record.seconds:.1f} s (+{record.warm_up_seconds:.1f} s warm-up)" if record else "loads on first use"

    return [[spec.title, spec.task, spec.package or "Hugging Face hub", spec.hub_id or "—", spec.licence,
             spec.params_millions, spec.download_mb, status(spec.key, spec.installed)] for spec in registry.specs]


def build(registry: ModelRegistry) -> None:
    with gr.Tab("Models", id="models"):
        gr.Markdown(f"Running on **{registry.device}**. Every model below runs offline from an installed package; "
                    "start with `--preload` to load them all at launch.")
        table = gr.Dataframe(lambda: model_rows(registry), headers=COLUMNS, interactive=False, elem_id="model-table")
        gr.Button("Refresh", elem_id="model-refresh").click(lambda: model_rows(registry), None, table, api_visibility="private")
