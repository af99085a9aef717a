"""API Gateway (REST API, proxy integration payload v1) to HTTP forwarding Lambda.

This is the "original route" of the LocalStack environment, kept for comparison:
API Gateway -> AWS_PROXY integration -> this function -> the service container.
It forwards the request to BACKEND_URL and returns the backend's status, headers
and body unchanged. Standard library only, so the deployment package is this one
file.

Environment:
  BACKEND_URL        base URL of the service, e.g. http://product-search:8080
                     (a path prefix is allowed; the request path is appended)
  PROXY_TIMEOUT_S    total deadline per request, in seconds: connecting, sending
                     the request and reading the whole answer must fit in it
                     (a backend trickling bytes cannot extend it); default 5,
                     must be a number > 0

Answers of the function itself (JSON, Content-Type: application/json):
  502 {"error":"bad_gateway","message":"..."}      backend unreachable, connection
                                                   refused or reset, malformed answer
  504 {"error":"gateway_timeout","message":"..."}  no complete answer within
                                                   PROXY_TIMEOUT_S
  500 {"error":"proxy_misconfigured",...}          a missing or invalid setting
"""

import base64
import http.client
import json
import os
import socket
import threading
import time
import urllib.parse

DEFAULT_TIMEOUT_S = 5.0

# Hop-by-hop headers (RFC 9110 section 7.6.1) describe one connection, not the
# message: they are not forwarded in either direction. Host is set for the
# backend; Content-Length is recomputed by http.client for the request body.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
REQUEST_SKIP = HOP_BY_HOP | {"host", "content-length"}

READ_CHUNK = 65536


class ConfigError(Exception):
    """A setting of the function itself is missing or invalid."""


def _json_response(status, code, message):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "body": json.dumps({"error": code, "message": message}),
        "isBase64Encoded": False,
    }


def load_config(environ=None):
    """Return (scheme, host, port, base_path, timeout) from the environment."""
    env = os.environ if environ is None else environ
    backend = env.get("BACKEND_URL", "").strip()
    if not backend:
        raise ConfigError("BACKEND_URL is not set")
    parts = urllib.parse.urlsplit(backend)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"BACKEND_URL must be an http:// or https:// URL, got {backend!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"BACKEND_URL has an invalid port: {backend!r}") from None
    raw_timeout = env.get("PROXY_TIMEOUT_S", "").strip()
    if raw_timeout:
        try:
            timeout = float(raw_timeout)
        except ValueError:
            timeout = -1.0
        if not timeout > 0 or timeout != timeout or timeout == float("inf"):
            raise ConfigError(
                f"PROXY_TIMEOUT_S must be a number of seconds > 0, got {raw_timeout!r}"
            )
    else:
        timeout = DEFAULT_TIMEOUT_S
    base_path = parts.path.rstrip("/")
    return parts.scheme, parts.hostname, port, base_path, timeout


def _query_string(event):
    """Rebuild the query string; multi-value parameters keep repeated keys."""
    multi = event.get("multiValueQueryStringParameters")
    if multi:
        pairs = [(k, v) for k, values in multi.items() for v in (values or [])]
    else:
        single = event.get("queryStringParameters") or {}
        pairs = list(single.items())
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)


def _request_headers(event):
    """Headers to send to the backend, as a list of (name, value)."""
    out = []
    multi = event.get("multiValueHeaders")
    if multi:
        for name, values in multi.items():
            if name.lower() in REQUEST_SKIP:
                continue
            for value in values or []:
                out.append((name, value))
    else:
        for name, value in (event.get("headers") or {}).items():
            if name.lower() in REQUEST_SKIP or value is None:
                continue
            out.append((name, value))
    return out


def _request_body(event):
    body = event.get("body")
    if body is None:
        return None
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def _response_body(data):
    """Text bodies go back as-is; anything that is not UTF-8 as base64."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), True


class _Deadline:
    """One total deadline for a request.

    Every blocking socket call gets the time that is left as its timeout, and a
    timer shuts the socket down when the deadline passes, so that a call that
    is already blocked (a header line arriving byte by byte) returns too.
    """

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self._timer = None
        self._sock = None
        self._lock = threading.Lock()
        self.fired = False

    def left(self):
        """Seconds left; raises socket.timeout when none are."""
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            self.fired = True
            raise socket.timeout("deadline passed")
        return remaining

    def expired(self):
        return self.fired or time.monotonic() >= self.end

    def watch(self, sock):
        """Shut `sock` down at the deadline (it is blocked in a read or write)."""
        with self._lock:
            self._sock = sock
        self._timer = threading.Timer(max(self.end - time.monotonic(), 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self):
        with self._lock:
            self.fired = True
            if self._sock is not None:
                try:
                    self._sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cancel(self):
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._sock = None


def _read_body(resp, conn, deadline):
    """The whole body, each read bounded by the time left."""
    chunks = []
    while True:
        if conn.sock is not None:
            conn.sock.settimeout(deadline.left())
        chunk = resp.read1(READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def forward(event, config):
    """Send the request described by `event` to the backend; return the proxy response."""
    scheme, host, port, base_path, timeout = config
    method = event.get("httpMethod") or "GET"
    path = event.get("path") or "/"
    if not path.startswith("/"):
        path = "/" + path
    target = urllib.parse.quote(base_path + path, safe="/%:@!$&'()*+,;=-._~")
    query = _query_string(event)
    if query:
        target += "?" + query

    conn_class = (
        http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    )
    deadline = _Deadline(timeout)
    conn = conn_class(host, port, timeout=timeout)
    where = f"{scheme}://{host}{':' + str(port) if port else ''}"
    try:
        conn.timeout = deadline.left()
        conn.connect()
        deadline.watch(conn.sock)
        conn.sock.settimeout(deadline.left())
        conn.putrequest(method, target, skip_host=False, skip_accept_encoding=True)
        for name, value in _request_headers(event):
            conn.putheader(name, value)
        body = _request_body(event)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        conn.sock.settimeout(deadline.left())
        resp = conn.getresponse()
        data = _read_body(resp, conn, deadline)
        if deadline.fired:
            # the timer shut the socket down: what was read is not the whole answer
            raise socket.timeout("deadline passed")
        status = resp.status
        raw_headers = resp.getheaders()
    except (OSError, http.client.HTTPException) as exc:
        if deadline.expired() or isinstance(exc, (socket.timeout, TimeoutError)):
            return _json_response(
                504,
                "gateway_timeout",
                f"backend {where} did not answer within {timeout:g} s",
            )
        return _json_response(
            502,
            "bad_gateway",
            f"backend {where} is unreachable: {exc.__class__.__name__}: {exc}",
        )
    finally:
        deadline.cancel()
        conn.close()

    text, is_b64 = _response_body(data)
    headers = {}
    multi = {}
    for name, value in raw_headers:
        lower = name.lower()
        if lower in HOP_BY_HOP:
            continue
        # The length of the backend's bytes is not the length of their base64
        # text; API Gateway sets the right one when it decodes the body.
        if is_b64 and lower == "content-length":
            continue
        headers[name] = value
        multi.setdefault(name, []).append(value)
    return {
        "statusCode": status,
        "headers": headers,
        "multiValueHeaders": multi,
        "body": text,
        "isBase64Encoded": is_b64,
    }


def handler(event, context=None):
    """Lambda entry point (handler setting: proxy.handler)."""
    try:
        config = load_config()
    except ConfigError as exc:
        return _json_response(500, "proxy_misconfigured", str(exc))
    if not isinstance(event, dict):
        return _json_response(400, "bad_request", "event is not an API Gateway proxy event")
    return forward(event, config)
