"""HTTP with timeouts and retries, shared by chat webhooks, SMS-over-HTTP and metric sources.

Retries (via tenacity) on connection errors (for a GET or HEAD, also a connection lost after
sending: asking again changes nothing), 5xx, 429 (honouring Retry-After) and on whatever a
caller's ``check`` says is retryable (the chat platforms' own rate-limit codes). Every URL
that reaches a message is masked first: webhook URLs carry their tokens; so is a bearer
token that a refusal's body repeats.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from xhsgrow.errors import XhsgrowError

Verdict = tuple[Literal["ok", "retry", "fail"], str]


class HttpError(XhsgrowError):
    """The request failed for good (after retries, or with a non-retryable answer)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        unknown: bool = False,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        #: what went wrong without the URL, for a caller that names the URL its own way
        self.detail = detail or message
        #: True when the request may have been received (connection died after sending):
        #: the caller must not assume it failed.
        self.unknown = unknown


class _Retry(Exception):
    def __init__(self, reason: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail  # (the reason without the URL)
        self.retry_after = retry_after


#: A query parameter whose name speaks of a secret (token, auth_token, client_secret, api_key,
#: sig, password...): its value is masked.
_SECRET_QUERY = re.compile(
    r"([?&][^=&#\s]*(?:key|token|secret|sign|sig|pass|auth|credential)[^=&#\s]*=)[^&#\s]+",
    re.I,
)
_HOOK_PATH = re.compile(r"(/hook/|/services/|/webhook/|/robot/)[^?#\s]+", re.I)
_USERINFO = re.compile(r"(://)[^/@\s]+@")


def mask_url(url: str) -> str:
    """A URL fit for output: tokens in the query, hook paths and user:password replaced by ***."""
    url = _USERINFO.sub(r"\1***@", url)
    url = _SECRET_QUERY.sub(r"\1***", url)
    return _HOOK_PATH.sub(r"\1***", url)


def url_problem(url: str) -> str | None:
    """What makes ``url`` unusable for a request, in a few words (None when it is fine).

    Checked before anything is sent (``request``; a webhook's when it is looked up, before
    the data is read): httpx would raise a bare InvalidURL for a bad port or an unclosed
    ``[``, take a missing host for a redirect to nowhere, and try a space in the host four
    times as a connection failure."""
    from urllib.parse import urlsplit

    if any(ch.isspace() for ch in url):
        return "it has a space in it"
    if not url.isprintable():
        return "it has a control character in it"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
    except ValueError:
        return "its host or port is malformed"
    if parts.scheme.lower() not in ("http", "https"):
        return "it does not start with http:// or https://"
    if not host:
        return "it has no host"
    import httpx

    try:
        httpx.URL(url)
    except httpx.InvalidURL:
        return "its host or port is malformed"
    return None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5  # first wait in seconds; doubles each try, with jitter
    max_wait: float = 30.0
    timeout: float = 10.0


def request(
    method: str,
    url: str,
    *,
    json: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    check: Callable[[Any], Verdict] | None = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    client: Any = None,
    follow_redirects: bool = False,
) -> Any:
    """Send a request, retrying what is worth retrying; returns the httpx.Response.

    ``check(response)`` runs on 2xx answers and says whether the body means success
    ("ok"), a retryable refusal such as a platform rate limit ("retry"), or failure ("fail").
    With ``follow_redirects`` (a metrics GET), up to 20 redirects are followed; httpx sends
    the Authorization header on only to the same origin (or its https upgrade). A redirect
    not followed (a webhook's POST) is a failure naming its status and target: the message
    was not delivered where it was sent.
    """
    import httpx
    from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt
    from tenacity.wait import wait_exponential, wait_random

    policy = policy or RetryPolicy()
    shown = mask_url(url)
    problem = url_problem(url)
    if problem:  # (one line, nothing sent; the URL shown masked, as in every message)
        detail = f"not a valid http(s) URL ({problem})"
        raise HttpError(f"{shown}: {detail}", detail=detail)
    backoff = wait_exponential(multiplier=policy.backoff, max=policy.max_wait) + wait_random(
        0, policy.backoff
    )

    def wait(state: Any) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.retry_after is not None:
            return min(exc.retry_after, policy.max_wait)
        return float(backoff(state))

    own = client is None
    http = client or httpx.Client(timeout=policy.timeout)
    # The URL's own query is kept, the params added to it (httpx would replace it).
    target = httpx.URL(url).copy_merge_params(params) if params else url
    # A secret sent in a header (a bearer token) is masked in anything the server echoes.
    secrets = [v.split()[-1] for k, v in (headers or {}).items() if k.lower() == "authorization"]
    idempotent = method.upper() in ("GET", "HEAD")

    def retry(detail: str, after: float | None = None) -> _Retry:
        return _Retry(f"{shown}: {detail}", detail, after)

    def fail(detail: str, **kw: Any) -> HttpError:
        return HttpError(f"{shown}: {detail}", detail=detail, **kw)

    def attempt() -> Any:
        try:
            resp = http.request(
                method,
                target,
                json=json,
                content=content,
                headers=headers,
                follow_redirects=follow_redirects,
            )
        except httpx.TooManyRedirects:
            raise fail("too many redirects") from None
        except httpx.UnsupportedProtocol:  # a redirect to ftp://, or to a relative nothing
            raise fail("redirected to a URL that is not http(s)") from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            name = type(exc).__name__
            raise _Retry(f"cannot connect to {shown}: {name}", f"cannot connect: {name}") from None
        except httpx.TransportError as exc:
            if idempotent:  # (asking again changes nothing on the server)
                raise retry(f"connection lost ({type(exc).__name__})") from None
            # The request may have reached the server: retrying could duplicate it.
            raise fail(
                f"connection lost after sending ({type(exc).__name__}); the outcome is unknown",
                unknown=True,
            ) from None
        status = f"HTTP {resp.status_code} {resp.reason_phrase or ''}".rstrip()
        if resp.status_code == 429:
            raise retry(status, _retry_after(resp.headers.get("Retry-After")))
        if resp.status_code >= 500:
            raise retry(status)
        if resp.status_code >= 400:
            brief = _brief(resp, secrets)
            raise fail(f"HTTP {resp.status_code} {brief}".rstrip(), status=resp.status_code)
        if resp.status_code >= 300:
            where = resp.headers.get("Location")
            to = f" to {_shown_location(where, url)}" if where else " without a Location"
            raise fail(f"{status}{to} (not followed)", status=resp.status_code)
        if check is not None:
            verdict, message = check(resp)
            if verdict == "retry":
                raise retry(message)
            if verdict == "fail":
                raise fail(message, status=resp.status_code)
        return resp

    try:
        for try_ in Retrying(
            stop=stop_after_attempt(policy.attempts),
            wait=wait,
            retry=retry_if_exception_type(_Retry),
            sleep=sleep,
            reraise=False,
        ):
            with try_:
                return attempt()
    except RetryError as exc:
        last = exc.last_attempt.exception()
        reason = detail = str(last)
        if isinstance(last, _Retry):
            reason, detail = last.reason, last.detail
        gave_up = f"gave up after {policy.attempts} tries"
        raise HttpError(f"{gave_up}: {reason}", detail=f"{gave_up}: {detail}") from None
    finally:
        if own:
            http.close()
    raise AssertionError("unreachable")  # pragma: no cover


def _shown_location(location: str, url: str) -> str:
    """Where a redirect points, fit for a message: without its query and fragment (a login
    page's ``?next=`` carries the URL it came from, token and all), masked like a URL, and
    with any secret of ``url`` (what mask_url hides there) replaced too."""
    text = mask_url(re.split(r"[?#]", location, maxsplit=1)[0])
    shown = mask_url(url)
    for part in re.split(r"[/?&=#@:]", url):
        if len(part) >= 6 and part not in shown:
            text = text.replace(part, "***")
    return text


def _brief(resp: Any, secrets: Sequence[str] = ()) -> str:
    """What a refusal says, in a line: a short text or JSON body as it is (any of the
    ``secrets`` it echoes masked); for an HTML or XML page (a proxy's or a web server's error
    page) only the status's reason: the markup would bury the line."""
    text = resp.text.strip()
    if text.startswith("<") or "html" in resp.headers.get("content-type", "").lower():
        return resp.reason_phrase or ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text.replace("\n", " ")[:200]
