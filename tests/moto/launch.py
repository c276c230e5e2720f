"""Start moto's server on 127.0.0.1 for nhiscan's AWS connector tests, with three
additions moto lacks. Each is switched on by an environment variable, so a plain launch
behaves exactly like `moto_server`:

* NHISCAN_CLOUDTRAIL_FIXTURE=PATH: CloudTrail LookupEvents answers with the events in
  PATH (a JSON file shaped exactly like a real LookupEvents response: Events[] with
  EventId, EventName, EventTime, Username, CloudTrailEvent as a JSON *string* holding
  userIdentity, requestParameters and responseElements). moto records no API calls as
  CloudTrail events and has no LookupEvents handler, so this replays recorded ones.
  The file is re-read on every call, so a test can write it after seeding (when the
  generated access key ids are known). {"Error": {"Code": C, "Message": M}} in the file
  makes LookupEvents fail with that error instead (e.g. AccessDeniedException).
  LookupAttributes (EventName) and MaxResults/NextToken paging are honoured; the time
  window is not, so recorded events never age out of the 90-day window.
  Unset: LookupEvents returns no events.
* NHISCAN_DENY_ASSUME_ACCOUNTS=ID[,ID]: STS AssumeRole into those accounts fails with
  AccessDenied (moto otherwise lets anyone assume anything).
* NHISCAN_SERVICE_CREDENTIALS_EMPTY=1: IAM ListServiceSpecificCredentials returns an
  empty list instead of moto's HTTP 500 (unimplemented), for runs that must be complete.
* NHISCAN_IAM_PAGE_SIZE=N: IAM ListUsers and ListGroups page like real IAM (MaxItems,
  default N; Marker; IsTruncated) instead of moto's everything-at-once, so a crawl that
  reads only the first page is caught.
* NHISCAN_FAULTS=SPEC (or POST SPEC to /nhiscan/faults at any time; GET it for the
  spec and how many faults were injected; an empty POST switches faults off): answers
  a fraction of IAM requests the way real IAM fails, before moto sees them. SPEC is a
  comma-separated list of
    Throttling:P[@Action]   HTTP 400 <ErrorResponse><Error><Code>Throttling</Code>
                            (IAM's query-API rate limit) with probability P
    Throttling:firstK[@Action]  Throttling on the first K attempts of each distinct
                            request (same Action and parameters), then moto answers:
                            repeatable throttling that retries always get through
    500:P[@Action]          HTTP 500 <Code>ServiceFailure</Code> with probability P
    rate:N                  Throttling for every IAM request beyond N per second
                            (a token bucket of N), as IAM's account-wide limit does
    gone:USER               every call naming UserName=USER answers HTTP 404
                            NoSuchEntity, while ListUsers still lists it: a user
                            deleted between ListUsers and the per-user calls
  e.g. "Throttling:0.3,500:0.05" or "Throttling:1@ListUserTags". Only IAM requests
  (credential scope .../iam/aws4_request) are touched, so STS GetCallerIdentity still
  answers. NHISCAN_FAULT_SEED=N makes the random draws repeatable.

Usage: python tests/moto/launch.py [--port 0]. Prints `PORT=<n>` once listening, then
serves until stdin closes or it is signalled (so it dies with the test that started it).
"""

import argparse
import json
import io
import os
import random
import re
import sys
import threading
import time
from datetime import datetime
from urllib.parse import parse_qs

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.cloudtrail.responses import CloudTrailResponse  # noqa: E402
from moto.core.responses import ActionResult  # noqa: E402
from moto.iam.responses import IamResponse  # noqa: E402
from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402
from moto.sts.responses import TokenResponse  # noqa: E402


def _json_error(status, code, message):
    headers = {"status": status, "x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.1"}
    return status, headers, json.dumps({"__type": code, "message": message})


def _epoch(t):
    if isinstance(t, (int, float)):
        return t
    return datetime.fromisoformat(str(t).replace("Z", "+00:00")).timestamp()


def lookup_events(self):
    path = os.environ.get("NHISCAN_CLOUDTRAIL_FIXTURE")
    fixture = {"Events": []}
    if path:
        with open(path, encoding="utf-8") as f:
            fixture = json.load(f)
    if "Error" in fixture:
        err = fixture["Error"]
        return _json_error(400, err.get("Code", "AccessDeniedException"), err.get("Message", "denied"))
    body = json.loads(self.body or "{}")
    wanted = {
        a.get("AttributeValue")
        for a in body.get("LookupAttributes", [])
        if a.get("AttributeKey") == "EventName"
    }
    events = [e for e in fixture.get("Events", []) if not wanted or e.get("EventName") in wanted]
    start = int(body.get("NextToken") or 0)
    size = int(body.get("MaxResults") or 50)
    page = [dict(e, EventTime=_epoch(e["EventTime"])) for e in events[start : start + size]]
    out = {"Events": page}
    if start + size < len(events):
        out["NextToken"] = str(start + size)
    return 200, {"status": 200, "Content-Type": "application/x-amz-json-1.1"}, json.dumps(out)


_original_assume_role = TokenResponse.assume_role


def assume_role(self):
    denied = [a for a in os.environ.get("NHISCAN_DENY_ASSUME_ACCOUNTS", "").split(",") if a]
    role_arn = self._get_param("RoleArn") or ""
    if any(f":{a}:" in role_arn for a in denied):
        xml = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            "<Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole on resource: "
            f"{role_arn}</Message></Error><RequestId>nhiscan-test</RequestId></ErrorResponse>"
        )
        return 403, {"status": 403, "Content-Type": "text/xml"}, xml
    return _original_assume_role(self)


def list_service_specific_credentials(self):
    xml = (
        '<ListServiceSpecificCredentialsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        "<ListServiceSpecificCredentialsResult><ServiceSpecificCredentials/><IsTruncated>false</IsTruncated>"
        "</ListServiceSpecificCredentialsResult><ResponseMetadata><RequestId>nhiscan-test</RequestId>"
        "</ResponseMetadata></ListServiceSpecificCredentialsResponse>"
    )
    return 200, {"status": 200, "Content-Type": "text/xml"}, xml


def _page(self, items, key):
    items = list(items)
    start = int(self._get_param("Marker") or 0)
    size = int(self._get_param("MaxItems") or os.environ["NHISCAN_IAM_PAGE_SIZE"])
    result = {key: items[start : start + size], "IsTruncated": start + size < len(items)}
    if result["IsTruncated"]:
        result["Marker"] = str(start + size)
    return ActionResult(result)


def list_users_paged(self):
    return _page(self, self.backend.list_users(self._get_param("PathPrefix"), None, None), "Users")


def list_groups_paged(self):
    return _page(self, self.backend.list_groups(), "Groups")


_IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"


def _iam_error(status, kind, code, message):
    xml = (
        f'<ErrorResponse xmlns="{_IAM_XMLNS}"><Error><Type>{kind}</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>nhiscan-fault</RequestId></ErrorResponse>"
    )
    reason = {400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}[status]
    return f"{status} {reason}", xml.encode()


class Faults:
    """The fault spec in force and counts of what was injected (thread-safe)."""

    def __init__(self, spec, seed):
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.set(spec)

    def set(self, spec):
        rules, gone, rate = [], set(), None
        for part in filter(None, (p.strip() for p in (spec or "").split(","))):
            if part.startswith("gone:"):
                gone.add(part[len("gone:") :])
                continue
            if part.startswith("rate:"):
                rate = float(part[len("rate:") :])
                continue
            m = re.fullmatch(r"(Throttling|500):(first)?([0-9.]+)(?:@(\w+))?", part)
            if not m:
                raise ValueError(
                    f"bad fault {part!r}: expected Throttling:P[@Action], Throttling:firstK[@Action], "
                    "500:P[@Action], rate:N or gone:USER"
                )
            kind = m.group(1) + ("-first" if m.group(2) else "")
            rules.append((kind, float(m.group(3)), m.group(4)))
        with self.lock:
            self.spec, self.rules, self.gone = spec or "", rules, gone
            self.rate, self.tokens, self.last = rate, rate, time.monotonic()
            self.injected = {}
            self.seen = {}

    def state(self):
        with self.lock:
            return {"spec": self.spec, "injected": dict(self.injected)}

    def pick(self, action, params, body):
        """The error to answer instead of moto, or None."""
        with self.lock:
            user = (params.get("UserName") or [None])[0]
            if user in self.gone and action != "ListUsers":
                fault = ("gone", *_iam_error(404, "Sender", "NoSuchEntity", f"The user with name {user} cannot be found."))
            else:
                fault = None
                if self.rate:
                    now = time.monotonic()
                    self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
                    self.last = now
                    if self.tokens >= 1:
                        self.tokens -= 1
                    else:
                        fault = ("Throttling", *_iam_error(400, "Sender", "Throttling", "Rate exceeded"))
                for kind, p, only in self.rules if not fault else []:
                    if only and only != action:
                        continue
                    if kind == "Throttling-first":
                        n = self.seen.get(body, 0)
                        self.seen[body] = n + 1
                        hit = n < p
                        kind = "Throttling"
                    else:
                        hit = self.rng.random() < p
                    if hit:
                        if kind == "Throttling":
                            fault = ("Throttling", *_iam_error(400, "Sender", "Throttling", "Rate exceeded"))
                        else:
                            fault = ("500", *_iam_error(500, "Receiver", "ServiceFailure",
                                                        "Request processing has failed due to an unknown error."))
                        break
            if fault:
                self.injected[fault[0]] = self.injected.get(fault[0], 0) + 1
            return fault and fault[1:]


class FaultMiddleware:
    """WSGI wrapper around moto: the /nhiscan/faults control endpoint, and faults for
    IAM requests."""

    def __init__(self, app, faults):
        self.app, self.faults = app, faults

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/nhiscan/faults":
            if environ.get("REQUEST_METHOD") == "POST":
                n = int(environ.get("CONTENT_LENGTH") or 0)
                try:
                    self.faults.set(environ["wsgi.input"].read(n).decode())
                except ValueError as e:
                    out = str(e).encode()
                    start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", str(len(out)))])
                    return [out]
            out = json.dumps(self.faults.state()).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
            return [out]
        if "/iam/aws4_request" not in environ.get("HTTP_AUTHORIZATION", ""):
            return self.app(environ, start_response)
        n = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(n) if n else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params = parse_qs(body.decode("utf-8", "replace"))
        params.update(parse_qs(environ.get("QUERY_STRING", "")))
        action = (params.get("Action") or [""])[0]
        fault = self.faults.pick(action, params, body)
        if not fault:
            return self.app(environ, start_response)
        status, xml = fault
        start_response(status, [("Content-Type", "text/xml"), ("Content-Length", str(len(xml)))])
        return [xml]


class FaultyMotoServer(ThreadedMotoServer):
    def __init__(self, faults, **kw):
        super().__init__(**kw)
        self._faults = faults

    def _server_entry(self):
        app = FaultMiddleware(DomainDispatcherApplication(create_backend_app), self._faults)
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = ap.parse_args()

    CloudTrailResponse.lookup_events = lookup_events
    TokenResponse.assume_role = assume_role
    if os.environ.get("NHISCAN_SERVICE_CREDENTIALS_EMPTY") == "1":
        IamResponse.list_service_specific_credentials = list_service_specific_credentials
    if os.environ.get("NHISCAN_IAM_PAGE_SIZE"):
        IamResponse.list_users = list_users_paged
        IamResponse.list_groups = list_groups_paged

    seed = os.environ.get("NHISCAN_FAULT_SEED")
    faults = Faults(os.environ.get("NHISCAN_FAULTS", ""), int(seed) if seed else None)
    server = FaultyMotoServer(faults, ip_address=args.host, port=args.port, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"PORT={port}", flush=True)
    try:
        # Serve until the parent closes our stdin (it exited or dropped us).
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    server.stop()


if __name__ == "__main__":
    main()
