"""Model Studio: see how modern AI models work, live, in the browser.

    python app.py [--host 127.0.0.1] [--port 7860] [--device cpu|cuda|mps] [--preload] [--share]
"""
import argparse
import logging
import os

import gradio as gr

from models.device import pick_device
from models.registry import ModelRegistry, hub_spec
from studio import about, attention, image, speech, training, translation

TITLE = "Model Studio"


def build_app(registry: ModelRegistry) -> gr.Blocks:
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\nSpeech, images and translation with real models — and a look inside them.")
        with gr.Tabs() as tabs:
            transcript, send_to_translation = speech.build(registry)
            image.build(registry)
            translation_inputs = translation.build(registry)
            attention.build(registry)
            training.build(registry)
            about.build(registry)
        translation_inputs.send_from(send_to_translation, transcript, tabs)
    return demo


def running_on_spaces() -> bool:
    return bool(os.environ.get("SPACE_ID"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_host = "0.0.0.0" if running_on_spaces() else "127.0.0.1"
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", default_host),
                        help="address to bind (default 127.0.0.1; 0.0.0.0 on Hugging Face Spaces)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N or mps (default: best available; "
                                                       "STUDIO_DEVICE also sets it)")
    parser.add_argument("--preload", action="store_true", help="load every model at start instead of on first use")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    parser.add_argument("--hub-model", action="append", default=[], metavar="TASK=ID",
                        help="add a Hugging Face model (needs internet), e.g. speech=openai/whisper-small")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    args = parse_args(argv)
    registry = ModelRegistry(pick_device(args.device))
    for entry in args.hub_model:
        task, _, hub_id = entry.partition("=")
        registry.add(hub_spec(task, hub_id))
    if args.preload:
        registry.preload(lambda fraction, message: logging.getLogger("studio").info(message))
    demo = build_app(registry)
    demo.queue(default_concurrency_limit=2, max_size=64)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, max_file_size="200mb",
                footer_links=["api", "gradio"], css=speech.CSS)


if __name__ == "__main__":
    main()
