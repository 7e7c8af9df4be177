"""The page and its config are built once per origin and replayed unchanged, behind gradio's CORS layer (which
rewrites the headers of each answer for the asking origin)."""
import httpx
from gradio.route_utils import CustomCORSMiddleware
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from studio.page_cache import PageCache


def counting_app(cookie: bool = False) -> tuple[Starlette, list]:
    """A Starlette app shaped as gradio's: a /config built per request, the CORS layer outside the cache."""
    built = []

    def config(request):
        built.append(request.headers["host"])
        response = JSONResponse({"root": f"http://{request.headers['host']}", "components": []})
        if cookie:
            response.set_cookie("session", "abc")
        return response

    app = Starlette(routes=[Route("/config", config), Route("/other", config)],
                    middleware=[Middleware(CustomCORSMiddleware), Middleware(PageCache)])
    return app, built


def get(app, path: str, host: str = "one.test", origin: str | None = None) -> httpx.Response:
    with TestClient(app, base_url=f"http://{host}") as client:
        return client.get(path, headers={"origin": origin} if origin else {})


def test_the_config_is_built_once_and_replayed_with_headers_for_each_asking_origin():
    app, built = counting_app()

    answers = [get(app, "/config", origin=origin) for origin in ["http://one.test", None, "http://two.test"]]

    assert built == ["one.test"]
    assert [answer.json()["root"] for answer in answers] == ["http://one.test"] * 3
    assert [answer.headers.get("access-control-allow-origin") for answer in answers] == [
        "http://one.test", None, "http://two.test"]


def test_each_origin_and_query_gets_its_own_answer():
    app, built = counting_app()

    roots = [get(app, path, host).json()["root"]
             for path, host in [("/config", "one.test"), ("/config", "two.test"), ("/config?page=x", "one.test")]]

    assert roots == ["http://one.test", "http://two.test", "http://one.test"]
    assert built == ["one.test", "two.test", "one.test"]


def test_answers_that_set_a_cookie_and_other_paths_are_never_replayed():
    app, built = counting_app(cookie=True)
    get(app, "/config"), get(app, "/config")
    other, other_built = counting_app()
    get(other, "/other"), get(other, "/other")

    assert len(built) == 2
    assert len(other_built) == 2


def test_the_studios_page_and_config_answer_each_origin_with_its_own_root(studio_url):
    port = httpx.URL(studio_url).port
    hosts = [f"127.0.0.1:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]

    roots = [httpx.get(f"{studio_url}config", headers={"host": host}).json()["root"] for host in hosts]
    pages = [httpx.get(studio_url, headers={"host": host}).text for host in hosts]

    assert roots == [f"http://{host}" for host in hosts]
    assert all(f"http://{host}" in page and "gradio_config" in page for host, page in zip(hosts, pages))
