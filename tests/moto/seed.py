"""Seed a running moto server with the IAM state nhiscan's AWS tests assert on.

Usage:
  python tests/moto/seed.py ENDPOINT basic [--account ID]   the leaver scenario
  python tests/moto/seed.py ENDPOINT bulk N [--keys K]       N users with K keys each (benchmark)
  python tests/moto/seed.py ENDPOINT leak                     a key whose id a test commits to a repo
  python tests/moto/seed.py ENDPOINT authz N                  naming, admin spellings and N filler users,
                                                              then switches moto's IAM authorization on
  python tests/moto/seed.py ENDPOINT precision                look-alike names and AWS-created roles

With --account, seeds that account's separate IAM state through STS AssumeRole (moto
keeps one IAM state per account id). Prints a JSON object with the generated ids.
Credentials are moto's obviously fake `testing` values.
"""

import argparse
import json

import boto3

FAKE = dict(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")

TRUST_ALICE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::{acct}:user/alice"}, "Action": "sts:AssumeRole"}],
}
TRUST_EC2 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
S3_READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def session(endpoint, account):
    creds = dict(FAKE)
    if account:
        sts = boto3.client("sts", endpoint_url=endpoint, **FAKE)
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/seeder", RoleSessionName="seed")["Credentials"]
        creds.update(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    return creds


def basic(endpoint, creds):
    iam = boto3.client("iam", endpoint_url=endpoint, **creds)
    acct = boto3.client("sts", endpoint_url=endpoint, **creds).get_caller_identity()["Account"]
    out = {"account": acct}

    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")

    iam.create_user(UserName="alice", Tags=[{"Key": "department", "Value": "platform"}])
    iam.create_login_profile(UserName="alice", Password="not-a-real-password-1!")
    iam.add_user_to_group(GroupName="admins", UserName="alice")
    k1 = iam.create_access_key(UserName="alice")["AccessKey"]
    k2 = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.update_access_key(UserName="alice", AccessKeyId=k2["AccessKeyId"], Status="Inactive")
    out["alice_active"], out["alice_inactive"] = k1["AccessKeyId"], k2["AccessKeyId"]
    ssh = iam.upload_ssh_public_key(
        UserName="alice",
        SSHPublicKeyBody="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHnhiscanTestKeyNotRealAAAAAAAAAAAAAAAAAAAAA alice@laptop",
    )
    out["alice_ssh"] = ssh["SSHPublicKey"]["SSHPublicKeyId"]
    # A request signed with alice's active key, so its last-used date is set.
    alice = dict(creds, aws_access_key_id=k1["AccessKeyId"], aws_secret_access_key=k1["SecretAccessKey"])
    alice.pop("aws_session_token", None)
    boto3.client("iam", endpoint_url=endpoint, **alice).list_users()

    iam.create_user(UserName="svc-deploy", Tags=[{"Key": "owner", "Value": "alice@acme.example"}, {"Key": "team", "Value": "platform"}])
    out["svc_deploy_key"] = iam.create_access_key(UserName="svc-deploy")["AccessKey"]["AccessKeyId"]
    iam.put_user_policy(UserName="svc-deploy", PolicyName="read", PolicyDocument=json.dumps(S3_READ))

    iam.create_user(UserName="bob", Tags=[{"Key": "Owner", "Value": "bob@acme.example"}])
    iam.create_login_profile(UserName="bob", Password="not-a-real-password-2!")
    power = iam.create_policy(PolicyName="power-user", PolicyDocument=json.dumps(ADMIN_DOC))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="bob", PolicyArn=power)

    iam.create_user(UserName="orphan-bot")
    out["orphan_key"] = iam.create_access_key(UserName="orphan-bot")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="orphan-bot", AccessKeyId=out["orphan_key"], Status="Inactive")

    trust = json.loads(json.dumps(TRUST_ALICE).replace("{acct}", acct))
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(trust),
                    Tags=[{"Key": "CreatedBy", "Value": "alice@acme.example"}])
    iam.attach_role_policy(RoleName="deployer", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_role(RoleName="ci-runner", AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                    Tags=[{"Key": "team", "Value": "platform"}])
    iam.create_role(RoleName="AWSServiceRoleForSupport", Path="/aws-service-role/support.amazonaws.com/",
                    AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    return out


def bulk(endpoint, creds, n, keys):
    iam = boto3.client("iam", endpoint_url=endpoint, **creds)
    for i in range(n):
        name = f"user-{i:05d}"
        iam.create_user(UserName=name, Tags=[{"Key": "owner", "Value": f"person{i % 97}@acme.example"}])
        for _ in range(keys):
            iam.create_access_key(UserName=name)
    return {"users": n, "keys": n * keys}


def leak(endpoint, creds):
    """svc-reports (owner tag: bob) with one active key whose id has the real AWS shape.

    moto draws key ids from A-Z0-9, while real ones (and the detection rule) use base32
    (A-Z2-7); keys are re-created until one has the real shape, so that a test can commit
    the id to a repository and check that nhiscan joins the leak to this IAM key.
    """
    import re

    iam = boto3.client("iam", endpoint_url=endpoint, **creds)
    iam.create_user(UserName="svc-reports", Tags=[{"Key": "owner", "Value": "bob@acme.example"}])
    for _ in range(200):
        key = iam.create_access_key(UserName="svc-reports")["AccessKey"]["AccessKeyId"]
        if re.fullmatch(r"AKIA[A-Z2-7]{16}", key):
            return {"leak_key": key}
        iam.delete_access_key(UserName="svc-reports", AccessKeyId=key)
    raise SystemExit("no base32-shaped key id in 200 tries")


def authz(endpoint, creds, n):
    """The leaver alice's NHIs that only naming, admin-policy spellings or a later page
    reveal, plus two scanning identities; then moto starts enforcing IAM policies.

    `scanner` holds exactly connectors/aws/policy.json (so a complete scan proves the
    policy covers every call), `limited` only ListUsers/ListAccessKeys/ListRoles. The
    generated key pairs are moto's, printed for the test, and work only against this
    emulator. After seeding, POST /moto-api/reset-auth 0 makes moto authenticate and
    authorize every later request.
    """
    import os
    import urllib.request

    iam = boto3.client("iam", endpoint_url=endpoint, **creds)
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "connectors", "aws", "policy.json"), encoding="utf-8") as f:
        policy = f.read()
    out = {}
    for name in ["scanner", "limited"]:
        iam.create_user(UserName=name)
    arn = iam.create_policy(PolicyName="nhiscan-readonly", PolicyDocument=policy)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="scanner", PolicyArn=arn)
    narrow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
              "Action": ["iam:ListUsers", "iam:ListAccessKeys", "iam:ListRoles"]}]}
    iam.put_user_policy(UserName="limited", PolicyName="narrow", PolicyDocument=json.dumps(narrow))
    for name in ["scanner", "limited"]:
        k = iam.create_access_key(UserName=name)["AccessKey"]
        out[name] = [k["AccessKeyId"], k["SecretAccessKey"]]

    # Naming only: no tag names alice.
    iam.create_user(UserName="svc-alice-deploy", Path="/service/")
    out["svc_alice_key"] = iam.create_access_key(UserName="svc-alice-deploy")["AccessKey"]["AccessKeyId"]
    iam.create_user(UserName="alice-ci")
    iam.create_access_key(UserName="alice-ci")
    # Admin spelled `*:*` in a group's inline policy, and via NotAction on the user.
    iam.create_group(GroupName="ops")
    star = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*:*", "Resource": "*"}]}
    iam.put_group_policy(GroupName="ops", PolicyName="everything", PolicyDocument=json.dumps(star))
    iam.create_user(UserName="opsbot", Tags=[{"Key": "Owner", "Value": "alice@acme.example"}])
    iam.add_user_to_group(GroupName="ops", UserName="opsbot")
    na = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:DeleteUser", "Resource": "*"}]}
    iam.create_user(UserName="almost-admin", Tags=[{"Key": "created-by", "Value": "alice@acme.example"}])
    iam.put_user_policy(UserName="almost-admin", PolicyName="na", PolicyDocument=json.dumps(na))
    # A role whose admin rights are an inline policy, named after alice.
    iam.create_role(RoleName="alice-lambda-admin", AssumeRolePolicyDocument=json.dumps(TRUST_EC2).replace("ec2", "lambda"))
    iam.put_role_policy(RoleName="alice-lambda-admin", PolicyName="all", PolicyDocument=json.dumps(ADMIN_DOC))
    for i in range(n):
        iam.create_user(UserName=f"filler-{i:05d}")
    # Listed last, so on the last page of ListUsers.
    iam.create_user(UserName="zz-reports", Tags=[{"Key": "owner_email", "Value": "alice@acme.example"}])
    out["zz_key"] = iam.create_access_key(UserName="zz-reports")["AccessKey"]["AccessKeyId"]

    req = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(req, timeout=10).read()
    return out


def precision(endpoint, creds):
    """Attribution traps: an IAM user named with the leaver's first name as a prefix but
    listed as another person's alias and tagged with their email; a naming-only user of
    the leaver; roles AWS creates for itself (Identity Center, Organizations, Control
    Tower), one of them tagged with the leaver's email."""
    iam = boto3.client("iam", endpoint_url=endpoint, **creds)
    acct = boto3.client("sts", endpoint_url=endpoint, **creds).get_caller_identity()["Account"]
    out = {"account": acct}
    iam.create_user(UserName="alice.smithson", Tags=[{"Key": "email", "Value": "alice.smithson@acme.example"}])
    out["smithson_key"] = iam.create_access_key(UserName="alice.smithson")["AccessKey"]["AccessKeyId"]
    iam.create_user(UserName="svc-alice-reports")
    iam.create_user(UserName="svc-dana-etl", Tags=[{"Key": "Contact_Email", "Value": "Dana Smith <dana@acme.example>"}])
    iam.create_role(RoleName="AWSReservedSSO_AdministratorAccess_0123456789abcdef",
                    Path="/aws-reserved/sso.amazonaws.com/", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    iam.create_role(RoleName="OrganizationAccountAccessRole", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    iam.create_role(RoleName="AWSControlTowerExecution", AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                    Tags=[{"Key": "owner", "Value": "alice@acme.example"}])
    iam.create_role(RoleName="AWSServiceRoleForSupport", Path="/aws-service-role/support.amazonaws.com/",
                    AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    # A departed colleague's IAM user, and a role that trusts it (its name names nobody).
    iam.create_user(UserName="dave")
    trust_dave = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                  "Principal": {"AWS": f"arn:aws:iam::{acct}:user/dave"}}]}
    iam.create_role(RoleName="deploy-search", AssumeRolePolicyDocument=json.dumps(trust_dave))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("scenario", choices=["basic", "bulk", "leak", "authz", "precision"])
    ap.add_argument("count", nargs="?", type=int, default=1000)
    ap.add_argument("--keys", type=int, default=2)
    ap.add_argument("--account")
    args = ap.parse_args()
    creds = session(args.endpoint, args.account)
    if args.scenario == "basic":
        out = basic(args.endpoint, creds)
    elif args.scenario == "leak":
        out = leak(args.endpoint, creds)
    elif args.scenario == "precision":
        out = precision(args.endpoint, creds)
    elif args.scenario == "authz":
        out = authz(args.endpoint, creds, args.count)
    else:
        out = bulk(args.endpoint, creds, args.count, args.keys)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
