"""Train small models live and keep every run: config → data → variant → loop, with a SQLite run store.

No Gradio here: the Training tab (studio/training.py) drives `Runner` and reads `RunStore`.
"""
