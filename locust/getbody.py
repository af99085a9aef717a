"""The original project's client shape, kept so that it can never break again.

The original load test (the locustfile behind the published AWS and LocalStack
figures) is a FastHttpUser whose every request passes ``timeout=10`` to
``self.client.get(...)``. Locust's fast client (geventhttpclient) does not
take that keyword: it sends it as a form body, so each GET carries
``Content-Type: application/x-www-form-urlencoded; charset=utf-8``,
``Content-Length: 10`` and the bytes ``timeout=10``. The service reads and
drops such a body and answers as without it; this file checks that on every
request, the way the original does (any non-2xx answer is a failure).

    /usr/bin/python3 -m locust -f locust/getbody.py --headless \
        -H http://127.0.0.1:8080 -u 50 -r 50 -t 20s

.ci/locust.sh runs it with 50 users and requires 0 failures.
"""

import random

from locust import FastHttpUser, constant, task

QUERIES = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
           "kappa", "electronics", "books", "home", "sports", "product", "zzz-none"]


class OriginalClientUser(FastHttpUser):
    """Searches and health checks, each GET carrying the form body ``timeout=10``."""

    wait_time = constant(0)

    def on_start(self):
        resp = self.client.get("/health", timeout=10)
        body = getattr(resp.request, "body", None)
        if not body:
            # the point of this scenario is the body; without one it proves nothing
            raise RuntimeError("this Locust's fast client sent no body for timeout=10; "
                               "the scenario would not test what it claims")

    @task(10)
    def search(self):
        self.client.get("/products/search?q=%s" % random.choice(QUERIES),
                        name="/products/search?q=[word] (body timeout=10)", timeout=10)

    @task(1)
    def health(self):
        self.client.get("/health", name="/health (body timeout=10)", timeout=10)
