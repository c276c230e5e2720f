"""Seed a running moto server with the IAM state nhiscan's AWS tests assert on.

Usage:
  python tests/moto/seed.py ENDPOINT basic [--account ID]   the leaver scenario
  python tests/moto/seed.py ENDPOINT bulk N [--keys K]       N users with K keys each (benchmark)
  python tests/moto/seed.py ENDPOINT leak                     a key whose id a test commits to a repo

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("scenario", choices=["basic", "bulk", "leak"])
    ap.add_argument("count", nargs="?", type=int, default=1000)
    ap.add_argument("--keys", type=int, default=2)
    ap.add_argument("--account")
    args = ap.parse_args()
    creds = session(args.endpoint, args.account)
    if args.scenario == "basic":
        out = basic(args.endpoint, creds)
    elif args.scenario == "leak":
        out = leak(args.endpoint, creds)
    else:
        out = bulk(args.endpoint, creds, args.count, args.keys)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
