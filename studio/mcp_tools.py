"""The studio's API endpoints as MCP tools for AI assistants (`launch(mcp_server=True)`, served at
/gradio_api/mcp/ over streamable HTTP): every handler given an api_name, described by its docstring's Args and
Returns sections.

Two things keep that list right in gradio 6.31:
- the load events Gradio adds for components whose value is a function (a table, a plot) would be tools named
  "_lambda_": they are made private;
- its MCP server takes a queued call's result (a tuple when the event has several outputs) as one value, then
  removes the gr.State outputs by position, so `[result].pop(i)` failed ("pop index out of range") for every
  tool whose event also keeps something in the page's state (classify, translate, detect, analogy, project):
  here the tuple is unpacked and the State outputs are left out.
"""
import gradio as gr
from gradio.mcp import GradioMCPServer


def as_tools(demo: gr.Blocks) -> None:
    """Called once the app is built, before it is launched."""
    for block in demo.blocks.values():
        if getattr(block, "load_event", None):
            demo.fns[block.load_event["id"]].api_visibility = "private"
    GradioMCPServer.pop_returned_state = staticmethod(without_state)


def without_state(outputs: list, data: list) -> list:
    """The values of an event's outputs that are not gr.State, from [result] (a tuple for several outputs)."""
    values = list(data[0]) if len(outputs) > 1 and len(data) == 1 and isinstance(data[0], tuple) else data
    return [value for output, value in zip(outputs, values) if not isinstance(output, gr.State)]
