"""Where a confirmation lands: the redirect after a form points the browser at its message.

A resident on a phone who presses "Ik steun dit" near the bottom of a page must see the
answer there, not in a message 1,700 px above. `templating.flash` notes in the request's
scope which element holds the message (`at`, next to the form, or "melding", the message at
the top of the page); this middleware then adds that element as the fragment of the
redirect that follows, unless the redirect already names one. The browser scrolls the
element into view; it has role="status" and tabindex="-1" (templates/_partials/forms.html).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The request scope's key for the id of the element that shows this request's flash.
ANCHOR_KEY = "bloei.flash_anchor"
# The id of the message at the top of the page (templates/base.html).
TOP_MESSAGE = "melding"


def anchor_id(at: str) -> str:
    """The element id of the feedback spot named `at` ("steun" -> "steun-melding")."""
    return f"{at}-melding" if at else TOP_MESSAGE


def with_fragment(location: str, anchor: str) -> str:
    return location if "#" in location else f"{location}#{anchor}"


class FeedbackAnchorMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_pointed(message: Message) -> None:
            anchor = scope.get(ANCHOR_KEY)
            if (
                anchor
                and message["type"] == "http.response.start"
                and message["status"] in (302, 303)
            ):
                message["headers"] = [
                    (key, with_fragment(value.decode("latin-1"), anchor).encode("latin-1"))
                    if key == b"location"
                    else (key, value)
                    for key, value in message.get("headers", [])
                ]
            await send(message)

        await self.app(scope, receive, send_pointed)
