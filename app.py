"""Model Studio: see how modern AI models work, live, in the browser.

    python app.py [--host 127.0.0.1] [--port 7860] [--device cpu|cuda|mps] [--preload] [--share]
                  [--lang en|zh-CN|…] [--teacher]
"""
import argparse
import logging
import os

import gradio as gr
from starlette.middleware import Middleware

from models.device import pick_device
from models.errors import InputError
from models.libraries import import_model_libraries
from models.limits import LIMITS
from models.registry import ModelRegistry, hub_spec, on_space
from studio import (
    about,
    attention,
    classroom,
    embeddings,
    exports,
    i18n,
    image,
    mcp_tools,
    page_cache,
    sessions,
    speech,
    training,
    translation,
)
from studio.common import in_user_language
from studio.i18n import language_code, redraw_on_language_change, say, t


def build_app(registry: ModelRegistry, teacher: bool = False) -> gr.Blocks:
    """The studio; `teacher` pre-fills the examples (fonts and hidden controls are CSS: classroom.css)."""
    with gr.Blocks(title=say("app.title"), delete_cache=exports.DELETE_CACHE) as demo:  # the launch language
        with gr.Row(elem_id="studio-header"):
            gr.Markdown(t("app.subtitle"))
            language = gr.Radio([(name, code) for code, name in i18n.LANGUAGE_NAMES.items()], label=t("app.language"),
                                elem_id="studio-language", scale=0, min_width=200)
        if registry.failures:  # models that failed to load at --preload: left out of every tab's choices
            failures = gr.Markdown(lambda: failure_notes(registry), elem_id="studio-failures")
            redraw_on_language_change(lambda: failure_notes(registry), failures)
        with gr.Tabs() as tabs:
            speech_outputs = speech.build(registry, teacher)
            image.build(registry, teacher)
            translation_inputs = translation.build(registry, teacher)
            embeddings.build(registry)
            attention_inputs = attention.build(registry)
            training.build(registry)
            about.build(registry)
        translation_inputs.send_from(speech_outputs.send_to_translation, speech_outputs.transcript, tabs)
        attention_inputs.send_from(speech_outputs.send_to_attention, speech_outputs.clip, "audio", speech_outputs.model, tabs)
        attention_inputs.send_from(translation_inputs.send_to_attention, translation_inputs.source, "text",
                                   translation_inputs.direction, tabs)
        i18n.wire_language_switch(language, demo, tabs)
    i18n.drop_untranslatable_headers(demo)
    mcp_tools.as_tools(demo)
    return demo


def failure_notes(registry: ModelRegistry) -> str:
    return "\n\n".join(f"⚠️ {in_user_language(failure)}" for failure in registry.failures.values())


def interface_language(name: str) -> str:
    """--lang: a language with a locale file, by its code or any tag of the same language ("zh" -> "zh-CN")."""
    code = language_code(name)
    if code is None:
        raise argparse.ArgumentTypeError(f"no locale file for {name!r}; choose one of {', '.join(i18n.TABLES)}")
    return code


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_host = "0.0.0.0" if on_space() else "127.0.0.1"
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", default_host),
                        help="address to bind (default 127.0.0.1; 0.0.0.0 on Hugging Face Spaces)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N or mps (default: best available; "
                                                       "STUDIO_DEVICE also sets it)")
    parser.add_argument("--preload", action="store_true", help="load every model at start instead of on first use")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    parser.add_argument("--lang", type=interface_language, default=None,
                        help=f"interface language: {', '.join(i18n.TABLES)} or a tag of the same language "
                             "(default: the browser's; STUDIO_LANG also sets it)")
    parser.add_argument("--teacher", action="store_true", default=os.environ.get("STUDIO_TEACHER", "0") not in ("", "0", "false"),
                        help="classroom projector: preload every model, pre-fill examples, large fonts, "
                             "no developer controls (STUDIO_TEACHER=1 also sets it)")
    parser.add_argument("--hub-model", action="append", default=[], metavar="TASK=ID",
                        help="add a Hugging Face model (needs internet), e.g. speech=openai/whisper-small")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    args = parse_args(argv)
    if args.lang:
        os.environ["STUDIO_LANG"] = args.lang  # read by studio.i18n, for the page and the server alike
    try:
        registry = ModelRegistry(pick_device(args.device))
    except InputError as error:
        raise SystemExit(in_user_language(error)) from error
    for entry in args.hub_model:
        task, _, hub_id = entry.partition("=")
        registry.add(hub_spec(task, hub_id))
    if args.preload or args.teacher:
        registry.preload(lambda fraction, message: logging.getLogger("studio").info(message))
    demo = build_app(registry, args.teacher)
    sessions.use_lazy_session_configs()
    demo.queue(default_concurrency_limit=LIMITS.fast_concurrency, max_size=LIMITS.queue_size)  # events that only draw are fast
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, max_file_size=f"{LIMITS.upload_mb}mb",
                footer_links=classroom.footer_links(args.teacher), css=classroom.css(args.teacher),
                i18n=i18n.I18N, head=i18n.HEAD, mcp_server=True, prevent_thread_lock=True,  # endpoints as MCP tools
                app_kwargs={"middleware": [Middleware(page_cache.PageCache)]})
    import_model_libraries()  # once the page is served
    demo.block_thread()


if __name__ == "__main__":
    main()
