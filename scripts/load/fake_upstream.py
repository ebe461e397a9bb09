#!/usr/bin/env python3
"""A misbehaving upstream for scripts/faults.sh, on loopback only.

  /data/ok.bed         200, a small BED file
  /data/fail.bed       500
  /data/slow.bed       waits SLOW seconds before answering
  /data/stall.bed      sends the headers and a few bytes, then stalls
  /data/truncated.bed  promises 100000 bytes, sends 50, closes
  /data/reset.bed      closes the connection without answering
  /data/garbage.bed    not HTTP at all
"""
import http.server
import socket
import sys
import time

SLOW = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
BED = b"chr1\t10\t20\tfeature\nchr2\t30\t40\tother\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        name = self.path.split("?")[0].rsplit("/", 1)[-1]
        if name == "ok.bed":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BED)))
            self.end_headers()
            self.wfile.write(BED)
        elif name == "fail.bed":
            body = b"Internal Server Error"
            self.send_response(500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif name == "slow.bed":
            time.sleep(SLOW)
            self.send_response(200)
            self.send_header("Content-Length", str(len(BED)))
            self.end_headers()
            self.wfile.write(BED)
        elif name == "stall.bed":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"chr1\t1")
            self.wfile.flush()
            time.sleep(SLOW)
        elif name == "truncated.bed":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(BED[:50])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif name == "reset.bed":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif name == "garbage.bed":
            self.wfile.write(b"SSH-2.0-OpenSSH_9.0\r\n\x00\x01\x02")
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


if __name__ == "__main__":
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()
