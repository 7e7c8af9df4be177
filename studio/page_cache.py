"""The page and its config answered from memory after their first request.

Gradio builds `/` and `/config` anew for every request: a deep copy of the whole app config (≈ 750 KB for the
studio's 560 components, most of it each component's API schema three times), a walk over it to set file URLs,
then the JSON. That is ≈ 50 ms of Python on a quiet machine; with a class opening the page while the models hold
both cores, sixty of those builds in worker threads fought over the GIL for 7–10 s each, and clients that gave up
after 5 s asked again (bench.load: 474 of 476 connects timed out). The answer depends only on the request's
origin (host, forwarded headers, root path) and its query: the studio has no login, so the first answer for each
is kept and replayed. An app with a login is passed through untouched.
"""
from collections import OrderedDict

CACHED_PATHS = frozenset({"/", "/config", "/config/"})
ORIGIN_HEADERS = (b"host", b"x-forwarded-host", b"x-forwarded-proto", b"x-forwarded-prefix")
MOST_KEPT = 16  # distinct origins × queries kept; the oldest is dropped beyond this


class PageCache:
    """ASGI middleware: GET `/` and `/config` from memory, once answered 200 without setting a cookie."""

    def __init__(self, app):
        self.app = app
        self.answers: OrderedDict[tuple, list[dict]] = OrderedDict()

    async def __call__(self, scope, receive, send):
        if not self.cacheable(scope):
            await self.app(scope, receive, send)
            return
        key = request_key(scope)
        if (answer := self.answers.get(key)) is not None:
            for message in answer:
                await send(fresh(message))
            return
        messages = []

        async def keep(message):
            messages.append(fresh(message))  # gradio's CORS layer outside adds the asking origin in place
            await send(message)

        await self.app(scope, receive, keep)
        if replayable(messages):
            self.answers[key] = messages
            while len(self.answers) > MOST_KEPT:
                self.answers.popitem(last=False)

    @staticmethod
    def cacheable(scope) -> bool:
        app = scope.get("app")
        return (scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in CACHED_PATHS
                and getattr(app, "auth", None) is None and getattr(app, "auth_dependency", None) is None)


def request_key(scope) -> tuple:
    headers = dict(scope["headers"])
    return (scope["path"], scope.get("query_string", b""), scope.get("scheme"), scope.get("root_path", ""),
            *(headers.get(name) for name in ORIGIN_HEADERS))


def fresh(message: dict) -> dict:
    return {**message, "headers": list(message["headers"])} if "headers" in message else dict(message)


def replayable(messages: list[dict]) -> bool:
    start = messages[0] if messages else {}
    return (start.get("type") == "http.response.start" and start.get("status") == 200
            and all(name.lower() != b"set-cookie" for name, _ in start.get("headers", []))
            and messages[-1].get("type") == "http.response.body" and not messages[-1].get("more_body", False))
