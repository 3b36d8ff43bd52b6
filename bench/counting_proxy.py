"""The benchmarks' counting proxy, shared by bench/run-run-once, bench/run-deploy and
bench/run-deploy-lambda.

Usage: python3 bench/counting_proxy.py UPSTREAM_PORT LOG_PATH PORT_PATH

Listens on a free 127.0.0.1 port (written to PORT_PATH once it accepts connections) and forwards
every request to 127.0.0.1:UPSTREAM_PORT (a moto_server). HTTP/1.1 with keep-alive towards the
clients, one connection per request towards moto (which answers Connection: close anyway).

For each request it appends one JSON line to LOG_PATH:
  {"t0": time the request arrived, "t1": time the response is sent (both time.time()),
   "op": the operation (X-Amz-Target's last part, or "METHOD /path"), "code": HTTP status,
   "status": tasks[0].lastStatus of a RunTask/DescribeTasks answer, else ""}
It writes the line just before the response, so a client can never have exited before its last
call is in the log.
"""
import http.client, http.server, json, os, sys, threading, time

upstream, log_path, port_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
log, lock = open(log_path, "a", buffering=1), threading.Lock()
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade",
       "expect", "content-length", "server", "date"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def do_GET(self): self.forward()
    def do_POST(self): self.forward()
    def do_HEAD(self): self.forward()
    def do_PUT(self): self.forward()
    def do_DELETE(self): self.forward()
    def forward(self):
        t_request = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=120)
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        target = self.headers.get("X-Amz-Target", "")
        op = target.rsplit(".", 1)[-1] if target else f"{self.command} {self.path.split('?')[0]}"
        status = ""
        if op in ("RunTask", "DescribeTasks") and resp.status == 200:
            try:
                tasks = json.loads(data).get("tasks") or []
                status = tasks[0].get("lastStatus", "") if tasks else ""
            except ValueError:
                pass
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        entry = {"t0": t_request, "t1": time.time(), "op": op, "code": resp.status,
                 "status": status}
        with lock:
            log.write(json.dumps(entry) + "\n")
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
server.daemon_threads = True
with open(port_path + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_path + ".tmp", port_path)
server.serve_forever()
