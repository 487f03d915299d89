"""A scripted language-model server for tests: it speaks the OpenAI chat
completions wire format (POST .../chat/completions, which Ollama's /v1
speaks too) and the Anthropic Messages API (POST .../v1/messages), as their
documentation shows them, and answers from a script.

    python3 tests/llm/server.py --port-file PORT --log REQUESTS.jsonl --script SCRIPT.json &

SCRIPT.json is a list of answers, used in order (the last one repeats):

    {"plan": {...}}               a 200 whose content is the plan (JSON text for
                                  OpenAI, a forced tool's input for Anthropic)
    {"text": "..."}               a 200 whose content is this text
    {"status": 429, "retry_after": 1}   an error status, with Retry-After
    {"status": 529}               Anthropic's "overloaded"
    {"raw": "..."}                a 200 whose whole body is this (not JSON, say)
    {"hang": true}                read the request and never answer

Each answer carries usage: "input_tokens" and "output_tokens" (default 1000
and 200). Every request is logged as one JSON line: {"path", "headers",
"body", "answer"} (the body parsed).
"""

import argparse
import http.server
import json
import os
import signal
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        server = self.server
        with server.lock:
            n = server.count
            server.count += 1
            answer = server.script[min(n, len(server.script) - 1)]
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            entry = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                     "body": body, "answer": n}
            with open(server.log, "a") as f:
                f.write(json.dumps(entry) + "\n")
        if answer.get("hang"):
            while True:
                time.sleep(3600)
        status = answer.get("status", 200)
        anthropic = self.path.endswith("/v1/messages")
        usage_in = answer.get("input_tokens", 1000)
        usage_out = answer.get("output_tokens", 200)
        headers = {}
        if status != 200:
            if "retry_after" in answer:
                headers["Retry-After"] = str(answer["retry_after"])
            if anthropic:
                kind = "overloaded_error" if status == 529 else "rate_limit_error"
                payload = {"type": "error", "error": {"type": kind, "message": "scripted %d" % status}}
            else:
                payload = {"error": {"message": "scripted %d" % status, "type": "rate_limit_exceeded"}}
            data = json.dumps(payload).encode()
        elif "raw" in answer:
            data = answer["raw"].encode()
        else:
            model = body.get("model", "?") if isinstance(body, dict) else "?"
            if anthropic:
                if "plan" in answer:
                    content = [{"type": "tool_use", "id": "toolu_01", "name": "insertion_plan",
                                "input": answer["plan"]}]
                else:
                    content = [{"type": "text", "text": answer.get("text", "")}]
                payload = {"id": "msg_01", "type": "message", "role": "assistant", "model": model,
                           "content": content, "stop_reason": "tool_use", "stop_sequence": None,
                           "usage": {"input_tokens": usage_in, "output_tokens": usage_out}}
            else:
                text = json.dumps(answer["plan"]) if "plan" in answer else answer.get("text", "")
                payload = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                           "model": model,
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": text,
                                                    "refusal": None}}],
                           "usage": {"prompt_tokens": usage_in, "completion_tokens": usage_out,
                                     "total_tokens": usage_in + usage_out}}
            data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--script", required=True)
    args = parser.parse_args()
    with open(args.script) as f:
        script = json.load(f)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.script, server.log, server.count, server.lock = script, args.log, 0, threading.Lock()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
