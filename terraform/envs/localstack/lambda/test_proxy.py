"""Unit tests of the Lambda proxy against real HTTP servers on 127.0.0.1.

Run from this directory:  /usr/bin/python3 -m unittest -v
"""

import base64
import http.server
import json
import os
import socket
import threading
import time
import unittest
import urllib.parse
from unittest import mock

import proxy


class Recorder:
    """What the backend saw, for the assertions."""

    def __init__(self):
        self.requests = []
        self.release = threading.Event()


def make_handler(recorder):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output clean
            pass

        def _record(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorder.requests.append(
                {
                    "method": self.command,
                    "target": self.path,
                    "headers": self.headers,
                    "body": body,
                }
            )

        def _send(self, status, headers, body, head=False):
            try:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the proxy gave up first (the timeout test)

        def _trickle(self, slow, fast=b""):
            """Send `fast` at once, then `slow` one byte every 0.25 s."""
            try:
                self.wfile.write(fast)
                for i in range(len(slow)):
                    self.wfile.write(slow[i:i + 1])
                    self.wfile.flush()
                    if recorder.release.wait(0.25):
                        break
            except (BrokenPipeError, ConnectionResetError):
                pass  # the proxy gave up first
            self.close_connection = True

        def _route(self, head=False):
            self._record()
            path = urllib.parse.urlsplit(self.path).path
            if path == "/products/search":
                body = json.dumps({"products": [], "total_found": 0}).encode()
                self._send(
                    200,
                    [
                        ("Content-Type", "application/json"),
                        ("X-Backend", "product-search"),
                        ("Set-Cookie", "a=1"),
                        ("Set-Cookie", "b=2"),
                    ],
                    body,
                    head,
                )
            elif path == "/teapot":
                self._send(
                    418,
                    [("Content-Type", "application/json")],
                    b'{"error":"teapot","message":"short and stout"}',
                    head,
                )
            elif path == "/binary":
                self._send(
                    200,
                    [("Content-Type", "application/octet-stream")],
                    bytes(range(256)),
                    head,
                )
            elif path == "/echo":
                seen = recorder.requests[-1]
                body = json.dumps(
                    {
                        "method": seen["method"],
                        "target": seen["target"],
                        "body": seen["body"].decode("utf-8", "replace"),
                    }
                ).encode()
                self._send(200, [("Content-Type", "application/json")], body, head)
            elif path == "/trickle-body":
                # a complete header, then the body one byte every 0.25 s (5 s in all)
                head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                        b"Content-Length: 20\r\n\r\n")
                self._trickle(b"x" * 20, head)
            elif path == "/trickle-headers":
                # the status line and headers one byte every 0.25 s
                self._trickle(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
            elif path == "/slow":
                recorder.release.wait(10)
                self._send(200, [("Content-Type", "text/plain")], b"late", head)
            else:
                self._send(
                    404,
                    [("Content-Type", "application/json")],
                    b'{"error":"not_found","message":"no such route"}',
                    head,
                )

        def do_GET(self):
            self._route()

        def do_HEAD(self):
            self._route(head=True)

        def do_POST(self):
            self._route()

    return Handler


def event(path, method="GET", query=None, multi_query=None, headers=None,
          multi_headers=None, body=None, is_b64=False):
    """A REST API (payload v1) proxy event as API Gateway sends it."""
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {"stage": "local", "path": "/local" + path},
        "body": body,
        "isBase64Encoded": is_b64,
    }


class ProxyAgainstLocalServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.recorder = Recorder()
        cls.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), make_handler(cls.recorder)
        )
        cls.server.daemon_threads = True
        cls.port = cls.server.server_address[1]
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        cls.recorder.release.set()
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        self.recorder.requests.clear()
        self.env = mock.patch.dict(
            os.environ,
            {"BACKEND_URL": f"http://127.0.0.1:{self.port}", "PROXY_TIMEOUT_S": "2"},
        )
        self.env.start()
        self.addCleanup(self.env.stop)

    def test_status_headers_and_body_pass_through(self):
        resp = proxy.handler(
            event("/products/search", query={"q": "alpha"},
                  multi_query={"q": ["alpha"]}),
            None,
        )
        self.assertEqual(resp["statusCode"], 200)
        self.assertEqual(
            json.loads(resp["body"]), {"products": [], "total_found": 0}
        )
        self.assertFalse(resp["isBase64Encoded"])
        self.assertEqual(resp["headers"]["Content-Type"], "application/json")
        self.assertEqual(resp["headers"]["X-Backend"], "product-search")
        self.assertEqual(resp["multiValueHeaders"]["Set-Cookie"], ["a=1", "b=2"])
        self.assertEqual(resp["headers"]["Content-Length"], str(len(resp["body"])))

    def test_error_status_and_body_pass_through_unchanged(self):
        resp = proxy.handler(event("/teapot"), None)
        self.assertEqual(resp["statusCode"], 418)
        self.assertEqual(resp["body"], '{"error":"teapot","message":"short and stout"}')
        resp = proxy.handler(event("/nowhere"), None)
        self.assertEqual(resp["statusCode"], 404)
        self.assertEqual(json.loads(resp["body"])["error"], "not_found")

    def test_binary_body_comes_back_base64(self):
        resp = proxy.handler(event("/binary"), None)
        self.assertEqual(resp["statusCode"], 200)
        self.assertTrue(resp["isBase64Encoded"])
        self.assertEqual(base64.b64decode(resp["body"]), bytes(range(256)))
        self.assertEqual(resp["headers"]["Content-Type"], "application/octet-stream")

    def test_base64_answer_has_no_content_length(self):
        # The backend said 256 bytes; the base64 body is 344 characters. A stale
        # Content-Length would cut or stall the decoded answer at the client.
        resp = proxy.handler(event("/binary"), None)
        self.assertTrue(resp["isBase64Encoded"])
        self.assertNotIn("content-length", {k.lower() for k in resp["headers"]})
        self.assertNotIn("content-length", {k.lower() for k in resp["multiValueHeaders"]})

    def test_query_string_single_values(self):
        resp = proxy.handler(
            event("/echo", query={"q": "kappa 99", "limit": "5"}), None
        )
        target = urllib.parse.urlsplit(json.loads(resp["body"])["target"])
        self.assertEqual(target.path, "/echo")
        self.assertEqual(
            urllib.parse.parse_qs(target.query), {"q": ["kappa 99"], "limit": ["5"]}
        )

    def test_query_string_repeated_keys_and_reserved_characters(self):
        resp = proxy.handler(
            event(
                "/echo",
                query={"q": "b"},
                multi_query={"q": ["a&b=c", "b"], "tag": ["µ/ü"]},
            ),
            None,
        )
        target = urllib.parse.urlsplit(json.loads(resp["body"])["target"])
        self.assertEqual(
            urllib.parse.parse_qsl(target.query),
            [("q", "a&b=c"), ("q", "b"), ("tag", "µ/ü")],
        )

    def test_no_query_string_means_no_question_mark(self):
        proxy.handler(event("/echo"), None)
        self.assertEqual(self.recorder.requests[-1]["target"], "/echo")

    def test_request_headers_forwarded_without_hop_by_hop(self):
        proxy.handler(
            event(
                "/echo",
                headers={
                    "X-Request-Id": "r-1",
                    "Accept": "application/json",
                    "Host": "abc.execute-api.localhost.localstack.cloud:4566",
                    "Connection": "keep-alive",
                },
            ),
            None,
        )
        seen = self.recorder.requests[-1]["headers"]
        self.assertEqual(seen["X-Request-Id"], "r-1")
        self.assertEqual(seen["Accept"], "application/json")
        self.assertEqual(seen["Host"], f"127.0.0.1:{self.port}")
        self.assertNotEqual(seen.get("Connection"), "keep-alive")

    def test_multi_value_request_headers(self):
        proxy.handler(
            event("/echo", multi_headers={"X-Tag": ["one", "two"]},
                  headers={"X-Tag": "two"}),
            None,
        )
        self.assertEqual(
            self.recorder.requests[-1]["headers"].get_all("X-Tag"), ["one", "two"]
        )

    def test_method_and_body_forwarded(self):
        resp = proxy.handler(
            event("/echo", method="POST", body='{"k":"v"}',
                  headers={"Content-Type": "application/json"}),
            None,
        )
        echoed = json.loads(resp["body"])
        self.assertEqual(echoed["method"], "POST")
        self.assertEqual(echoed["body"], '{"k":"v"}')

    def test_base64_request_body_is_decoded(self):
        raw = "prüfen".encode("utf-8")
        proxy.handler(
            event("/echo", method="POST",
                  body=base64.b64encode(raw).decode(), is_b64=True),
            None,
        )
        self.assertEqual(self.recorder.requests[-1]["body"], raw)

    def test_head_has_headers_and_no_body(self):
        resp = proxy.handler(event("/products/search", method="HEAD"), None)
        self.assertEqual(resp["statusCode"], 200)
        self.assertEqual(resp["body"], "")
        self.assertEqual(resp["headers"]["X-Backend"], "product-search")

    def test_backend_url_with_path_prefix(self):
        with mock.patch.dict(
            os.environ, {"BACKEND_URL": f"http://127.0.0.1:{self.port}/prefix/"}
        ):
            proxy.handler(event("/products/search"), None)
        self.assertEqual(self.recorder.requests[-1]["target"], "/prefix/products/search")

    def assert_gateway_timeout(self, resp, timeout_text):
        self.assertEqual(resp["statusCode"], 504)
        self.assertEqual(resp["headers"], {"Content-Type": "application/json"})
        self.assertFalse(resp["isBase64Encoded"])
        body = json.loads(resp["body"])
        self.assertEqual(set(body), {"error", "message"})
        self.assertEqual(body["error"], "gateway_timeout")
        self.assertIn(f"did not answer within {timeout_text} s", body["message"])

    def timed(self, path, timeout_s):
        """(answer, seconds taken) of a GET of path with PROXY_TIMEOUT_S=timeout_s."""
        with mock.patch.dict(os.environ, {"PROXY_TIMEOUT_S": timeout_s}):
            start = time.monotonic()
            resp = proxy.handler(event(path), None)
            return resp, time.monotonic() - start

    def test_timeout_gives_json_504_within_the_timeout(self):
        resp, elapsed = self.timed("/slow", "0.3")
        self.assert_gateway_timeout(resp, "0.3")
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertLess(elapsed, 5.0)

    def test_deadline_is_per_request_not_per_read_body(self):
        # Each byte comes well within the timeout, the whole body (5 s) does not:
        # a per-read timeout would wait for all of it and answer 200.
        resp, elapsed = self.timed("/trickle-body", "0.8")
        self.assert_gateway_timeout(resp, "0.8")
        self.assertLess(elapsed, 3.0)

    def test_deadline_is_per_request_not_per_read_headers(self):
        # The same with the status line and headers arriving byte by byte.
        resp, elapsed = self.timed("/trickle-headers", "0.8")
        self.assert_gateway_timeout(resp, "0.8")
        self.assertLess(elapsed, 3.0)


class ProxyWithoutBackend(unittest.TestCase):
    def test_dead_backend_gives_502(self):
        # Bind a port, then close it: nothing listens there any more.
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        with mock.patch.dict(
            os.environ, {"BACKEND_URL": f"http://127.0.0.1:{port}", "PROXY_TIMEOUT_S": "2"}
        ):
            resp = proxy.handler(event("/health"), None)
        self.assertEqual(resp["statusCode"], 502)
        self.assertEqual(resp["headers"]["Content-Type"], "application/json")
        body = json.loads(resp["body"])
        self.assertEqual(set(body), {"error", "message"})
        self.assertEqual(body["error"], "bad_gateway")
        self.assertIn(f"127.0.0.1:{port} is unreachable", body["message"])

    def test_backend_that_accepts_but_never_answers_times_out(self):
        # A listening socket that never accept()s: the kernel completes the TCP
        # handshake from the backlog, the request is sent, no answer ever comes.
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        self.addCleanup(sock.close)
        port = sock.getsockname()[1]
        with mock.patch.dict(
            os.environ,
            {"BACKEND_URL": f"http://127.0.0.1:{port}", "PROXY_TIMEOUT_S": "0.2"},
        ):
            start = time.monotonic()
            resp = proxy.handler(event("/health"), None)
            elapsed = time.monotonic() - start
        self.assertEqual(resp["statusCode"], 504)
        self.assertEqual(resp["headers"], {"Content-Type": "application/json"})
        self.assertEqual(json.loads(resp["body"])["error"], "gateway_timeout")
        self.assertGreaterEqual(elapsed, 0.15)
        self.assertLess(elapsed, 5.0)

    def test_backend_closing_the_connection_gives_502(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        self.addCleanup(sock.close)
        port = sock.getsockname()[1]

        def accept_and_close():
            conn, _ = sock.accept()
            conn.recv(65536)
            conn.close()

        t = threading.Thread(target=accept_and_close, daemon=True)
        t.start()
        with mock.patch.dict(
            os.environ, {"BACKEND_URL": f"http://127.0.0.1:{port}", "PROXY_TIMEOUT_S": "2"}
        ):
            resp = proxy.handler(event("/health"), None)
        t.join(5)
        self.assertEqual(resp["statusCode"], 502)
        self.assertEqual(json.loads(resp["body"])["error"], "bad_gateway")


class Configuration(unittest.TestCase):
    def test_missing_backend_url_is_a_500(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            resp = proxy.handler(event("/health"), None)
        self.assertEqual(resp["statusCode"], 500)
        body = json.loads(resp["body"])
        self.assertEqual(body["error"], "proxy_misconfigured")
        self.assertIn("BACKEND_URL", body["message"])

    def test_invalid_settings_are_rejected(self):
        bad = [
            {"BACKEND_URL": "ftp://x"},
            {"BACKEND_URL": "product-search:8080"},
            {"BACKEND_URL": "http://x:notaport"},
            {"BACKEND_URL": "http://x", "PROXY_TIMEOUT_S": "0"},
            {"BACKEND_URL": "http://x", "PROXY_TIMEOUT_S": "-1"},
            {"BACKEND_URL": "http://x", "PROXY_TIMEOUT_S": "soon"},
            {"BACKEND_URL": "http://x", "PROXY_TIMEOUT_S": "nan"},
            {"BACKEND_URL": "http://x", "PROXY_TIMEOUT_S": "inf"},
        ]
        for env in bad:
            with self.subTest(env=env):
                with self.assertRaises(proxy.ConfigError):
                    proxy.load_config(env)

    def test_defaults(self):
        self.assertEqual(
            proxy.load_config({"BACKEND_URL": "http://product-search:8080"}),
            ("http", "product-search", 8080, "", proxy.DEFAULT_TIMEOUT_S),
        )


if __name__ == "__main__":
    unittest.main()
