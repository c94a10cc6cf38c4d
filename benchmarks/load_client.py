"""Send prepared request bodies to a Slack app's endpoint from N concurrent clients, signed
at send time like Slack, and print each request's latency (ms) as JSON.

The clients are spread over several processes with one keep-alive connection each, so the
load generator's own interpreter lock does not become what is measured.

    python benchmarks/load_client.py APP_URL[,APP_URL…] SIGNING_SECRET CLIENTS < bodies.json

With several URLs (instances behind a balancer) the clients are spread over them.
"""

import http.client
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from urllib.parse import urlsplit

from slack_sdk.signature import SignatureVerifier

PROCESSES = 4


def send_all(app_url: str, secret: str, bodies: list[str]) -> list[float]:
    """One client: its own connection, one request after the other."""
    url = urlsplit(app_url)
    verifier = SignatureVerifier(secret)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    timings = []
    for body in bodies:
        raw = body.encode()
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Slack-Request-Timestamp": timestamp,
                   "X-Slack-Signature": verifier.generate_signature(timestamp=timestamp,
                                                                    body=raw)}
        started = time.perf_counter()
        connection.request("POST", url.path, body=raw, headers=headers)
        reply = connection.getresponse()
        reply.read()
        timings.append((time.perf_counter() - started) * 1000)
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}")
    connection.close()
    return timings


def clients_in_process(app_urls: str, secret: str, shares: list[list[str]]) -> list[float]:
    urls = app_urls.split(",")
    with ThreadPoolExecutor(len(shares)) as pool:
        results = pool.map(lambda n: send_all(urls[n % len(urls)], secret, shares[n]),
                           range(len(shares)))
        return [ms for result in results for ms in result]


def main() -> None:
    app_url, secret, clients = sys.argv[1], sys.argv[2], int(sys.argv[3])
    bodies = json.load(sys.stdin)
    shares = [bodies[i::clients] for i in range(clients)]
    groups = [shares[i::PROCESSES] for i in range(PROCESSES)]
    with ProcessPoolExecutor(PROCESSES) as pool:
        results = pool.map(clients_in_process, [app_url] * PROCESSES, [secret] * PROCESSES,
                           groups)
        json.dump([ms for result in results for ms in result], sys.stdout)


if __name__ == "__main__":
    main()
