"""A loopback stand-in for an Ollama server, for tests (no Ollama, no network).

It answers the routes the official `ollama` Python client (0.6) calls, with the response
shapes the client's pydantic models accept (checked against ollama/_client.py, _types.py):

    GET  /                 "Ollama is running"
    GET  /api/version      {"version"}
    GET  /api/tags         {"models": [{"model", "name", "modified_at", "size", "digest", "details"}]}
    POST /api/show         {"modelfile", "parameters", "template", "details", "model_info", ...}; 404 for unknown
    POST /api/chat         {"model", "created_at", "message": {"role", "content"}, "done", ...}
    POST /api/generate     {"model", "created_at", "response", "done", ...}

chat/generate stream NDJSON when the request says "stream": true (the client's default for
the raw API; physlab asks for stream=False). Every request body is kept in `requests`.

    with FakeOllama(models={"qwen2.5:1.5b": lambda prompt: "YES\\nFAILURE_MODE: tipping"}) as server:
        client = ollama.Client(host=server.url)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[str], str]
CREATED_AT = "2024-11-12T00:00:00Z"


def _details() -> dict[str, Any]:
    return {"parent_model": "", "format": "gguf", "family": "qwen2", "families": ["qwen2"],
            "parameter_size": "1.5B", "quantization_level": "Q4_K_M"}


class FakeOllama:
    """Start with `with FakeOllama(...) as server:` (or start()/stop()); `server.url` is the host."""

    def __init__(self, models: dict[str, Responder] | None = None) -> None:
        self.models: dict[str, Responder] = dict(models or {"qwen2.5:1.5b": lambda prompt: "NO\nFAILURE_MODE: none"})
        self.requests: list[dict[str, Any]] = []  # {"path", "body"} in arrival order
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None  # kept after stop(): tests point clients at a dead port

    # -- lifecycle
    @property
    def url(self) -> str:
        assert self._url is not None, "server not started"
        return self._url

    def start(self) -> FakeOllama:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                fake._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self, "POST")

            def do_HEAD(self) -> None:  # noqa: N802
                fake._handle(self, "HEAD")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self._url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- routing
    def _resolve(self, name: str) -> str | None:
        """Ollama's naming: 'qwen2.5' means 'qwen2.5:latest'."""
        if name in self.models:
            return name
        if ":" not in name and f"{name}:latest" in self.models:
            return f"{name}:latest"
        return None

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path = handler.path.split("?")[0]
        body: dict[str, Any] = {}
        if method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            raw = handler.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                return self._send(handler, 400, {"error": "invalid JSON"})
        with self._lock:
            self.requests.append({"method": method, "path": path, "body": body})

        if method in ("GET", "HEAD") and path == "/":
            return self._send_text(handler, 200, "Ollama is running")
        if method == "GET" and path == "/api/version":
            return self._send(handler, 200, {"version": "0.0.0-fake"})
        if method == "GET" and path == "/api/tags":
            return self._send(handler, 200, {"models": [
                {"name": m, "model": m, "modified_at": CREATED_AT, "size": 986_000_000,
                 "digest": "0" * 64, "details": _details()} for m in self.models]})
        if method == "POST" and path in ("/api/show", "/api/chat", "/api/generate"):
            name = self._resolve(str(body.get("model") or body.get("name") or ""))
            if name is None:
                return self._send(handler, 404, {"error": f"model '{body.get('model')}' not found"})
            if path == "/api/show":
                return self._send(handler, 200, {
                    "modelfile": f"FROM {name}", "parameters": "", "template": "{{ .Prompt }}",
                    "details": _details(), "model_info": {"general.architecture": "qwen2"},
                    "modified_at": CREATED_AT, "capabilities": ["completion"]})
            if path == "/api/chat":
                messages = body.get("messages") or []
                prompt = str(messages[-1].get("content", "")) if messages else ""
                reply = self.models[name](prompt)
                done = {"model": name, "created_at": CREATED_AT, "done": True, "done_reason": "stop",
                        "total_duration": 1_000_000, "eval_count": len(reply.split())}
                if body.get("stream", True):
                    return self._send_stream(handler, [
                        {"model": name, "created_at": CREATED_AT, "done": False,
                         "message": {"role": "assistant", "content": reply}},
                        {**done, "message": {"role": "assistant", "content": ""}}])
                return self._send(handler, 200, {**done, "message": {"role": "assistant", "content": reply}})
            prompt = str(body.get("prompt", ""))
            reply = self.models[name](prompt)
            done = {"model": name, "created_at": CREATED_AT, "done": True, "done_reason": "stop"}
            if body.get("stream", True):
                return self._send_stream(handler, [
                    {"model": name, "created_at": CREATED_AT, "done": False, "response": reply},
                    {**done, "response": ""}])
            return self._send(handler, 200, {**done, "response": reply})
        return self._send(handler, 404, {"error": f"no route {method} {path}"})

    # -- responses
    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, data: dict[str, Any]) -> None:
        payload = json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    @staticmethod
    def _send_text(handler: BaseHTTPRequestHandler, status: int, text: str) -> None:
        payload = text.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)

    @staticmethod
    def _send_stream(handler: BaseHTTPRequestHandler, parts: list[dict[str, Any]]) -> None:
        payload = b"".join(json.dumps(p).encode() + b"\n" for p in parts)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-ndjson")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
