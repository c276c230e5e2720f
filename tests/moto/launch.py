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

Usage: python tests/moto/launch.py [--port 0]. Prints `PORT=<n>` once listening, then
serves until stdin closes or it is signalled (so it dies with the test that started it).
"""

import argparse
import json
import os
import sys
from datetime import datetime

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.cloudtrail.responses import CloudTrailResponse  # noqa: E402
from moto.core.responses import ActionResult  # noqa: E402
from moto.iam.responses import IamResponse  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402
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

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
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
