"""The relay most tutorials show: Flask + requests, threaded development server.

Forwards POST /v1/chat/completions to the upstream and streams the answer back line by line.
Used by bench/run as the "what most people run" reference; deliberately not optimised.

    python3 bench/relays/flask_relay.py --port 8001 --upstream http://127.0.0.1:9000
"""
import argparse
import logging

import requests
from flask import Flask, Response, request

app = Flask(__name__)
UPSTREAM = "http://127.0.0.1:9000"


@app.post("/v1/chat/completions")
def chat_completions():
    upstream = requests.post(
        UPSTREAM + "/v1/chat/completions",
        json=request.get_json(),
        stream=True,
        timeout=3600,
    )

    def generate():
        for line in upstream.iter_lines():
            if line:
                yield line + b"\n\n"

    return Response(generate(), mimetype="text/event-stream")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


def main():
    global UPSTREAM
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    UPSTREAM = args.upstream.rstrip("/")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no per-request log line
    app.run(host="127.0.0.1", port=args.port, threaded=True)


if __name__ == "__main__":
    main()
