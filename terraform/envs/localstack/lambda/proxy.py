"""API Gateway (REST API, proxy integration payload v1) to HTTP forwarding Lambda.

This is the "original route" of the LocalStack environment, kept for comparison:
API Gateway -> AWS_PROXY integration -> this function -> the service container.
It forwards the request to BACKEND_URL and returns the backend's status, headers
and body unchanged. Standard library only, so the deployment package is this one
file.

Environment:
  BACKEND_URL        base URL of the service, e.g. http://product-search:8080
                     (a path prefix is allowed; the request path is appended)
  PROXY_TIMEOUT_S    seconds to wait for the backend (connect and each read);
                     default 5, must be a number > 0

When the backend is unreachable or does not answer in time the function answers
502 with {"error":"bad_gateway","message":"..."}; a missing or invalid setting
answers 500 with {"error":"proxy_misconfigured",...}.
"""

import base64
import http.client
import json
import os
import socket
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
    conn = conn_class(host, port, timeout=timeout)
    where = f"{scheme}://{host}{':' + str(port) if port else ''}"
    try:
        conn.putrequest(method, target, skip_host=False, skip_accept_encoding=True)
        for name, value in _request_headers(event):
            conn.putheader(name, value)
        body = _request_body(event)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        status = resp.status
        raw_headers = resp.getheaders()
    except (socket.timeout, TimeoutError):
        return _json_response(
            502,
            "bad_gateway",
            f"backend {where} did not answer within {timeout:g} s",
        )
    except (OSError, http.client.HTTPException) as exc:
        return _json_response(
            502,
            "bad_gateway",
            f"backend {where} is unreachable: {exc.__class__.__name__}: {exc}",
        )
    finally:
        conn.close()

    headers = {}
    multi = {}
    for name, value in raw_headers:
        if name.lower() in HOP_BY_HOP:
            continue
        headers[name] = value
        multi.setdefault(name, []).append(value)
    text, is_b64 = _response_body(data)
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
