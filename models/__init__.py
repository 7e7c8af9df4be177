"""Model wrappers and loaders. No Gradio here: wrappers take arrays and return dataclasses."""
