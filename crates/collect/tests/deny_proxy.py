#!/usr/bin/env python3
"""A pass-through HTTP proxy in front of moto that makes `sts:AssumeRole` into one account fail
with AWS's AccessDenied error, exactly as AWS shapes it on the wire.

    deny_proxy.py LISTEN_PORT UPSTREAM_URL DENIED_ACCOUNT [FAULT=VALUE ...]

Why: moto accepts AssumeRole for any role ARN unless its IAM enforcement is on, and with enforcement
on, moto 5.2.5 rejects the SigV4 signatures of REST services (Lambda, API Gateway). Everything else
goes to moto unchanged; only this one refusal is injected, so the collector's handling of a member
account whose role cannot be assumed is tested through the real SDK and wire format.

It also puts one moto answer into AWS's shape: moto 5.2.5 returns the `FunctionUrlAuthType` and
`InvokedViaFunctionUrl` of `lambda:AddPermission` as keys of the policy statement, where AWS
returns them as conditions (`StringEquals lambda:FunctionUrlAuthType`, `Bool
lambda:InvokedViaFunctionUrl`; Lambda API reference, GetPolicy and AddPermission). The proxy moves
them into `Condition` on GetPolicy responses, so the collector reads what AWS would send.

Faults, for the fault-injection tests (each in AWS's wire shape for its protocol):
  listparents=ACCOUNT     organizations:ListParents for that child answers AccessDeniedException
  describepolicy=ID       organizations:DescribePolicy for that policy answers AccessDeniedException
  page2=REGION            lambda:ListFunctions in REGION answers one function and a NextMarker,
                          and the page at that marker answers ServiceException (HTTP 500)
  throttle=FRACTION       that share of requests (seeded, repeatable) answers a bare HTTP 429
                          with no error code, as some proxies and gateways do
  stall=REGION            lambda:ListFunctions in REGION never answers (the connection stays open)
"""
import http.server, json, random, re, socketserver, sys, threading, time, urllib.parse, urllib.request

PORT, UPSTREAM, DENIED = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3]
FAULTS = dict(a.split("=", 1) for a in sys.argv[4:])
RNG = random.Random(20261202)
RNG_LOCK = threading.Lock()
FAULT_MARKER = "rolecall-fault-page-2"

ACCESS_DENIED = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
    "  <Error>\n    <Type>Sender</Type>\n    <Code>AccessDenied</Code>\n"
    "    <Message>User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}</Message>\n"
    "  </Error>\n  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n</ErrorResponse>\n"
)


def aws_shaped_policy(data):
    """moto's GetPolicy body with the function URL keys moved into Condition, as AWS returns it."""
    try:
        body = json.loads(data)
        policy = json.loads(body["Policy"])
    except (ValueError, KeyError, TypeError):
        return data
    for s in policy.get("Statement", []):
        cond = s.setdefault("Condition", {})
        if "FunctionUrlAuthType" in s:
            cond.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = s.pop("FunctionUrlAuthType")
        if "InvokedViaFunctionUrl" in s:
            cond.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = str(s.pop("InvokedViaFunctionUrl")).lower()
        if not cond:
            del s["Condition"]
    body["Policy"] = json.dumps(policy)
    return json.dumps(body).encode()


def region_of(headers):
    m = re.search(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/", headers.get("Authorization") or "")
    return m.group(1) if m else ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, payload, content_type="application/x-amz-json-1.1"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def fault(self, body):
        """An injected answer, or None to forward the request."""
        target = self.headers.get("X-Amz-Target") or ""
        if "throttle" in FAULTS:
            with RNG_LOCK:
                hit = RNG.random() < float(FAULTS["throttle"])
            if hit:
                return 429, b'{"message": "Too Many Requests"}'
        denied = lambda what: (400, json.dumps({"__type": "AccessDeniedException", "Message": f"User is not authorized to perform: {what}"}).encode())
        if target.endswith(".ListParents") and "listparents" in FAULTS:
            if json.loads(body or b"{}").get("ChildId") == FAULTS["listparents"]:
                return denied("organizations:ListParents")
        if target.endswith(".DescribePolicy") and "describepolicy" in FAULTS:
            if json.loads(body or b"{}").get("PolicyId") == FAULTS["describepolicy"]:
                return denied("organizations:DescribePolicy")
        listing = self.command == "GET" and re.match(r"^/2015-03-31/functions/?(\?|$)", self.path)
        if listing and FAULTS.get("stall") == region_of(self.headers):
            time.sleep(3600)
            return 500, b"{}"
        if listing and FAULTS.get("page2") == region_of(self.headers) and FAULT_MARKER in self.path:
            return 500, json.dumps({"Type": "Service", "Message": "Internal failure on page 2"}).encode()
        return None

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if b"Action=AssumeRole" in body else {}
        role = (form.get("RoleArn") or [""])[0]
        injected = self.fault(body)
        if injected:
            status, payload = injected
            headers = {"x-amzn-ErrorType": "ServiceException"} if b"page 2" in payload else {}
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if form.get("Action") == ["AssumeRole"] and f":{DENIED}:" in role:
            payload = ACCESS_DENIED.format(caller="arn:aws:iam::123456789012:user/auditor", role=role).encode()
            self.send_response(403)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        req = urllib.request.Request(UPSTREAM + self.path, data=body if body or self.command in ("POST", "PUT") else None, method=self.command)
        for k, v in self.headers.items():
            if k.lower() not in ("host", "content-length", "connection"):
                req.add_header(k, v)
        try:
            resp = urllib.request.urlopen(req, timeout=60)
            status, headers, data = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, headers, data = e.code, e.headers, e.read()
        if self.command == "GET" and status == 200 and re.search(r"/functions/[^/]+/policy", self.path):
            data = aws_shaped_policy(data)
        if (self.command == "GET" and status == 200 and FAULTS.get("page2") == region_of(self.headers)
                and re.match(r"^/2015-03-31/functions/?(\?|$)", self.path)):
            page = json.loads(data)
            if len(page.get("Functions", [])) > 1:
                page["Functions"] = page["Functions"][:1]
                page["NextMarker"] = FAULT_MARKER
                data = json.dumps(page).encode()
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() not in ("transfer-encoding", "content-length", "connection", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    with Server(("127.0.0.1", PORT), Handler) as s:
        print("ready", flush=True)
        s.serve_forever()
