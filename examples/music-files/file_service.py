"""A tiny file service for the oxiam guard example: GET, PUT and DELETE files under a directory.

It does no authentication of its own: it runs behind `oxiam guard`, which lets through only
requests oxiam allowed and tells it who the caller is in X-Oxiam-Principal-Arn (echoed back
in X-Served-For, and written as the owner of uploads).

    python3 file_service.py --port 8080 --root ./files
"""
import argparse
import http.server
import os
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."

    def _target(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if not path.startswith("/files/"):
            return None
        rel = os.path.normpath(path[len("/files/"):])
        if rel.startswith("..") or os.path.isabs(rel):
            return None
        return os.path.join(self.root, rel)

    def _send(self, status, body=b"", content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Served-For", self.headers.get("X-Oxiam-Principal-Arn", "-"))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        target = self._target()
        if target is None or not os.path.isfile(target):
            return self._send(404, b"not found\n")
        with open(target, "rb") as f:
            self._send(200, f.read(), "application/octet-stream")

    def do_PUT(self):
        target = self._target()
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if target is None:
            return self._send(400, b"bad path\n")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(body)
        self._send(201, b"stored\n")

    def do_DELETE(self):
        target = self._target()
        if target is None or not os.path.isfile(target):
            return self._send(404, b"not found\n")
        os.remove(target)
        self._send(204)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--root", default="files")
    args = parser.parse_args()
    Handler.root = args.root
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"file service listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
