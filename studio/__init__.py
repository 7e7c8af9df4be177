"""Gradio tabs: UI only. Each module builds one tab and calls the wrappers in models/."""
