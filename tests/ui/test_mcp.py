"""The studio's API endpoints are MCP tools (gradio's MCP server at /gradio_api/mcp/, streamable HTTP): an MCP
client lists them, each described with its arguments, and calls classify on a photo."""
import ast
import asyncio
import base64

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from tests.tests_paths import ASSETS

pytestmark = pytest.mark.slow
MCP_PATH = "gradio_api/mcp/"


async def tools_and_classification(url: str, photo: str):
    async with streamablehttp_client(url + MCP_PATH) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            answer = await session.call_tool("classify", {"image_path": photo, "model_key": "efficientnet-lite0"})
    return tools, answer


def test_an_mcp_client_lists_the_tools_and_classifies_a_photo(studio_url):
    photo = "data:image/jpeg;base64," + base64.b64encode((ASSETS / "images" / "coffee.jpg").read_bytes()).decode()

    tools, answer = asyncio.run(tools_and_classification(studio_url, photo))

    described = {tool.name: tool for tool in tools}
    assert {"transcribe", "classify", "translate", "attention", "train"} <= set(described)
    assert not [name for name in described if "lambda" in name], "a component's value function became a tool"
    for tool in tools:
        assert tool.description and not tool.description.startswith("("), tool.name
        for name, schema in tool.inputSchema.get("properties", {}).items():
            assert schema.get("description"), f"{tool.name}({name}) has no description: its docstring's Args"
    assert not answer.isError, answer.content
    [labels] = [ast.literal_eval(content.text) for content in answer.content]  # the Label's value, as Python writes it
    assert labels["label"] == "espresso", labels
