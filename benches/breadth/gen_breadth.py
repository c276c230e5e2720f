#!/usr/bin/env python3
"""Rules-breadth corpus: real-format credential examples by family, plus clean look-alikes.

Each example is one small file (`pos/<family>/<n>.<ext>` or `neg/<family>/<n>.<ext>`), so
a tool "finds" an example when it reports anything in that file, and "flags" a negative
the same way. Values are drawn at random from each vendor's documented shape (prefix,
length, alphabet, checksum where there is one) with a seed, in the syntaxes people
write them in; they are not copied from any rule's examples, and the seed changes every
value. `truth.json` lists every file with its family and polarity.

usage: gen_breadth.py OUT_DIR [--seed N] [--per-family K]
"""

import argparse
import base64
import json
import os
import random
import string
import zlib

B62 = string.ascii_letters + string.digits
LOW = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"


def rs(r, alphabet, n):
    return "".join(r.choice(alphabet) for _ in range(n))


def b62_encode(n, width):
    out = ""
    while n:
        n, d = divmod(n, 62)
        out = (string.digits + string.ascii_uppercase + string.ascii_lowercase)[d] + out
    return out.rjust(width, "0")


def gh_token(r, prefix):
    body = rs(r, B62, 30)
    return prefix + body + b62_encode(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def word_password(r):
    words = ["Orchid", "Falcon", "Quartz", "Harbor", "Maple", "Cobalt", "Ember", "Tundra"]
    return r.choice(words) + r.choice("!#$%&*") + str(r.randint(10, 9999)) + r.choice(words).lower() + rs(r, B62, 3)


def fake_pem(r, label, lines=12):
    body = "\n".join(rs(r, B64, 64) for _ in range(lines)) + "\n" + rs(r, B64, 40) + "=="
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


# ------------------------------------------------------------------------ positive families
# Each generator returns (extension, file content).

def keyword_assignments(r):
    pw = word_password(r)
    tok = rs(r, B62, r.randint(24, 40))
    user = r.choice(["svc_app", "deploy", "admin", "reporting"])
    forms = [
        ("py", f'DB_PASSWORD = "{pw}"\n'),
        ("yaml", f"database:\n  user: {user}\n  password: \"{pw}\"\n"),
        ("json", json.dumps({"auth": {"username": user, "password": pw}}, indent=2) + "\n"),
        ("xml", f'<connection name="main" user="{user}" password="{pw}" />\n'),
        ("properties", f"spring.datasource.username={user}\nspring.datasource.password={pw}\n"),
        ("env", f"export API_TOKEN={tok}\n"),
        ("sh", f"mysql -u {user} -p'{pw}' -h db.internal\n"),
        ("env", f"REACT_APP_API_KEY={tok}\n"),
        ("env", f"VITE_SECRET_KEY={tok}\n"),
        ("env", f"NEXT_PUBLIC_STRIPE_SECRET={tok}\n"),
        ("js", f"const config = {{ apiKey: '{tok}', region: 'eu' }};\n"),
        ("tf", f'variable "x" {{}}\nresource "db" "main" {{\n  admin_password = "{pw}"\n}}\n'),
        ("ini", f"[client]\nuser = {user}\npassword = {pw}\n"),
        ("Dockerfile", f"FROM alpine\nENV APP_SECRET={tok}\n"),
    ]
    return r.choice(forms)


def connection_strings(r):
    pw = word_password(r)
    user = r.choice(["app", "etl", "report_ro", "svc"])
    host = r.choice(["db1.corp.internal", "10.2.3.4", "pg.prod.example.net"])
    b = base64.b64encode(f"{user}:{pw}".encode()).decode()
    forms = [
        ("config", f"Server={host};Database=Sales;Uid={user};Pwd={pw};\n"),
        ("properties", f"jdbc.url=jdbc:postgresql://{host}:5432/app?user={user}&password={pw}\n"),
        ("env", f"MONGO_URL=mongodb+srv://{user}:{pw}@cluster0.ab12c.mongodb.net/app\n"),
        ("env", f"REDIS_URL=redis://:{pw}@{host}:6379/0\n"),
        ("env", f"AMQP_URL=amqp://{user}:{pw}@{host}:5672/vhost\n"),
        ("sh", f"curl -u {user}:{pw} https://{host}/api/v1/status\n"),
        ("netrc", f"machine {host}\nlogin {user}\npassword {pw}\n"),
        ("pgpass", f"{host}:5432:app:{user}:{pw}\n"),
        ("git-credentials", f"https://{user}:{rs(r, B62, 20)}@git.{host}\n"),
        ("json", json.dumps({"auths": {"registry.example.com": {"auth": b}}}, indent=2) + "\n"),
        ("npmrc", f"//registry.npmjs.org/:_authToken={rs(r, B62, 36)}\n"),
        ("conf", f"[global]\nindex-url = https://{user}:{pw}@pypi.internal.example.com/simple\n"),
        ("yaml", f"url: postgres://{user}:{pw}@{host}:5432/app\n"),
    ]
    return r.choice(forms)


def azure(r):
    key = base64.b64encode(bytes(r.getrandbits(8) for _ in range(64))).decode()
    sig = base64.b64encode(bytes(r.getrandbits(8) for _ in range(32))).decode().replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    forms = [
        ("config", f"DefaultEndpointsProtocol=https;AccountName=acmestore{r.randint(1, 99)};AccountKey={key};EndpointSuffix=core.windows.net\n"),
        ("env", f"APPCONFIG=Endpoint=https://acme-cfg.azconfig.io;Id={rs(r, B62, 4)}-l0-s0:{rs(r, B62, 20)};Secret={base64.b64encode(bytes(r.getrandbits(8) for _ in range(32))).decode()}\n"),
        ("txt", f"https://acmestore.blob.core.windows.net/c/x.csv?sv=2022-11-02&ss=b&srt=o&sp=r&se=2027-01-01T00:00:00Z&st=2026-01-01T00:00:00Z&spr=https&sig={sig}\n"),
        ("env", f"AZURE_DEVOPS_PAT={rs(r, string.ascii_lowercase + '234567', 52)}\n"),
        ("env", f"AZURE_CLIENT_SECRET={rs(r, B62, 3)}8Q~{rs(r, B62 + '_-.~', 34)}\n"),
        ("config", f"Endpoint=sb://acme-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={base64.b64encode(bytes(r.getrandbits(8) for _ in range(32))).decode()}\n"),
    ]
    return r.choice(forms)


def chat_webhooks(r):
    forms = [
        ("env", f"SLACK_WEBHOOK=https://hooks.slack.com/services/T{rs(r, string.ascii_uppercase + string.digits, 10)}/B{rs(r, string.ascii_uppercase + string.digits, 10)}/{rs(r, B62, 24)}\n"),
        ("env", f"SLACK_BOT_TOKEN=xoxb-{r.randint(10**11, 10**12)}-{r.randint(10**12, 10**13)}-{rs(r, B62, 24)}\n"),
        ("env", f"SLACK_USER_TOKEN=xoxp-{r.randint(10**11, 10**12)}-{r.randint(10**11, 10**12)}-{r.randint(10**12, 10**13)}-{rs(r, HEX, 32)}\n"),
        ("yaml", f"teams_webhook: https://acme.webhook.office.com/webhookb2/{rs(r, HEX, 8)}-{rs(r, HEX, 4)}-{rs(r, HEX, 4)}-{rs(r, HEX, 4)}-{rs(r, HEX, 12)}@{rs(r, HEX, 8)}-{rs(r, HEX, 4)}-{rs(r, HEX, 4)}-{rs(r, HEX, 4)}-{rs(r, HEX, 12)}/IncomingWebhook/{rs(r, HEX, 32)}/{rs(r, HEX, 8)}-{rs(r, HEX, 4)}-{rs(r, HEX, 4)}-{rs(r, HEX, 4)}-{rs(r, HEX, 12)}\n"),
        ("env", f"DISCORD_WEBHOOK=https://discord.com/api/webhooks/{r.randint(10**17, 10**18)}/{rs(r, B64URL, 68)}\n"),
    ]
    return r.choice(forms)


def password_hashes(r):
    salt = rs(r, "./" + B62, 22)
    forms = [
        ("txt", f"admin:$2a$12${salt}{rs(r, './' + B62, 31)}\n"),
        ("shadow", f"deploy:$6${rs(r, B62, 16)}${rs(r, './' + B62, 86)}:19700:0:99999:7:::\n"),
        ("shadow", f"ops:$1${rs(r, B62, 8)}${rs(r, './' + B62, 22)}:19700:0:99999:7:::\n"),
        ("htpasswd", f"jenkins:$apr1${rs(r, B62, 8)}${rs(r, './' + B62, 22)}\n"),
    ]
    return r.choice(forms)


def private_keys(r):
    pem = fake_pem(r, "RSA PRIVATE KEY", 20)
    forms = [
        ("pem", pem),
        ("yaml", "tls:\n  key: " + base64.b64encode(pem.encode()).decode() + "\n"),
        ("pem", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + "\n".join(rs(r, B64, 64) for _ in range(16)) + "\n-----END ENCRYPTED PRIVATE KEY-----\n"),
        ("key", fake_pem(r, "OPENSSH PRIVATE KEY", 6)),
        ("pem", fake_pem(r, "EC PRIVATE KEY", 3)),
        ("js", "const key = '-----BEGIN PRIVATE KEY-----\\n' +\n  '" + rs(r, B64, 64) + "\\n' +\n  '" + rs(r, B64, 64) + "\\n' +\n  '-----END PRIVATE KEY-----\\n';\n"),
    ]
    return r.choice(forms)


def vendor_prefixes(r):
    forms = [
        ("env", f"SRC_ACCESS_TOKEN=sgp_{rs(r, HEX, 16)}_{rs(r, HEX, 40)}\n"),
        ("env", f"NEW_RELIC_API_KEY=NRAK-{rs(r, string.ascii_uppercase + string.digits, 27)}\n"),
        ("env", f"NEW_RELIC_LICENSE_KEY={rs(r, HEX, 36)}NRAL\n"),
        ("env", f"SNYK_TOKEN={rs(r, HEX, 8)}-{rs(r, HEX, 4)}-4{rs(r, HEX, 3)}-a{rs(r, HEX, 3)}-{rs(r, HEX, 12)}\n"),
        ("env", f"FB_ACCESS_TOKEN=EAA{rs(r, B62, 150)}\n"),
        ("env", f"OKTA_API_TOKEN=00{rs(r, B62 + '-_', 40)}\n"),
        ("env", f"SONAR_TOKEN=squ_{rs(r, HEX, 40)}\n"),
        ("env", f"DTRACK_API_KEY=odt_{rs(r, B62, 32)}\n"),
        ("env", f"ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI{rs(r, B62, 20)}\n"),
        ("py", f'STRIPE_KEY = "sk_live_{rs(r, B62, 24)}"\n'),
        ("yaml", f"github_token: {gh_token(r, 'ghp_')}\n"),
        ("env", f"GITLAB_TOKEN=glpat-{rs(r, B62 + '-_', 20)}\n"),
        ("ini", f"[default]\naws_access_key_id = AKIA{rs(r, string.ascii_uppercase + '234567', 16)}\naws_secret_access_key = {rs(r, B62 + '+/', 40)}\n"),
        ("js", f"const firebase = {{ apiKey: 'AIza{rs(r, B62 + '-_', 35)}' }};\n"),
        ("env", f"SENDGRID_API_KEY=SG.{rs(r, B64URL, 22)}.{rs(r, B64URL, 43)}\n"),
        ("env", f"NPM_TOKEN=npm_{rs(r, B62, 36)}\n"),
        ("env", f"SHOPIFY_TOKEN=shpat_{rs(r, HEX, 32)}\n"),
        ("env", f"VAULT_TOKEN=hvs.{rs(r, B62 + '_-', 90)}\n"),
        ("env", f"DATABRICKS_TOKEN=dapi{rs(r, HEX, 32)}\n"),
        ("env", f"LINEAR_API_KEY=lin_api_{rs(r, B62, 40)}\n"),
        ("env", f"POSTMAN_API_KEY=PMAK-{rs(r, HEX, 24)}-{rs(r, HEX, 34)}\n"),
        ("env", f"DIGITALOCEAN_TOKEN=dop_v1_{rs(r, HEX, 64)}\n"),
        ("env", f"GRAFANA_TOKEN=glsa_{rs(r, B62, 32)}_{rs(r, HEX, 8)}\n"),
        ("env", f"ANTHROPIC_API_KEY=sk-ant-api03-{rs(r, B64URL, 93)}AA\n"),
        ("env", f"DOPPLER_TOKEN=dp.pt.{rs(r, B62, 43)}\n"),
        ("env", f"PYPI_TOKEN=pypi-AgEIcHlwaS5vcmc{rs(r, B64URL, 70)}\n"),
        ("env", f"TWILIO_API_KEY=SK{rs(r, HEX, 32)}\n"),
        ("env", f"MAILGUN_API_KEY=key-{rs(r, HEX, 32)}\n"),
        ("env", f"PARTICLE_ACCESS_TOKEN={rs(r, HEX, 40)}\n"),
        ("gradle", f"repositories {{\n  maven {{\n    url 'https://repo.example.com/maven'\n    credentials {{\n      username 'deployer'\n      password '{word_password(r)}'\n    }}\n  }}\n}}\n"),
        ("env", f"BUNDLE_ENTERPRISE__CONTRIBSYS__COM={rs(r, HEX, 8)}:{rs(r, HEX, 8)}\n"),
    ]
    return r.choice(forms)


POSITIVE = {
    "keyword": keyword_assignments,
    "connection": connection_strings,
    "azure": azure,
    "webhook": chat_webhooks,
    "hash": password_hashes,
    "private_key": private_keys,
    "vendor": vendor_prefixes,
}

# ------------------------------------------------------------------------ clean look-alikes


def negatives(r):
    ident = r.choice(["registrationExpiresAt", "accessTokenExpiresAtUtc", "nextPageTokenValue", "StorageEncrypted"])
    forms = [
        ("py", 'DB_PASSWORD = os.environ["DB_PASSWORD"]\n'),
        ("yaml", "password: ${DB_PASSWORD}\n"),
        ("yaml", "password: \"{{ vault_db_password }}\"\n"),
        ("env", "API_TOKEN=changeme\n"),
        ("env", "API_KEY=your-api-key-here\n"),
        ("js", "const token = this.tokenService.currentTokenValue;\n"),
        ("java", "nextTokenState = ATNState.INVALID_STATE_NUMBER;\n"),
        ("py", f"secret_type = '{ident}'\n"),
        ("json", json.dumps({"clientSecret": "client-secret", ident: "2026-01-01T00:00:00Z"}) + "\n"),
        ("ts", f"export const TOKEN_KEY = '{ident}';\n"),
        ("txt", f"sha256: {rs(r, HEX, 64)}\n"),
        ("lock", f"\"integrity\": \"sha512-{base64.b64encode(bytes(r.getrandbits(8) for _ in range(64))).decode()}\"\n"),
        ("txt", f"commit {rs(r, HEX, 40)}\n"),
        ("go", "password := flag.String(\"password\", \"\", \"database password\")\n"),
        ("md", "Set `AWS_SECRET_ACCESS_KEY` to your secret key, e.g. `<your-secret-key>`.\n"),
        ("yaml", "token: REDACTED\n"),
        ("env", "SLACK_WEBHOOK=https://hooks.slack.com/services/XXXXXXXXX/XXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX\n"),
        ("py", "PRIVATE_KEY_PATH = \"/etc/ssl/private/server.key\"\n"),
        ("cs", "public const string PasswordPropertyName = \"Password\";\n"),
        ("txt", f"request-id: {rs(r, HEX, 8)}-{rs(r, HEX, 4)}-{rs(r, HEX, 4)}-{rs(r, HEX, 4)}-{rs(r, HEX, 12)}\n"),
        ("env", "DATABASE_URL=postgres://user:password@localhost:5432/db\n"),
        ("yaml", "api_key: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"),
        ("rs", "let token = Token::new(TokenKind::Ident, span);\n"),
        ("json", "{\"tokenizer\": \"bert-base-multilingual-cased\"}\n"),
        ("py", "password_field = forms.CharField(widget=forms.PasswordInput)\n"),
    ]
    return r.choice(forms)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-family", type=int, default=40)
    a = ap.parse_args()
    r = random.Random(a.seed)
    truth = []
    for fam, gen in POSITIVE.items():
        for i in range(a.per_family):
            ext, text = gen(r)
            rel = f"pos/{fam}/{i:03d}.{ext}"
            truth.append({"path": rel, "family": fam, "positive": True})
            p = os.path.join(a.out, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)
    for i in range(a.per_family * 3):
        ext, text = negatives(r)
        rel = f"neg/clean/{i:03d}.{ext}"
        truth.append({"path": rel, "family": "clean", "positive": False})
        p = os.path.join(a.out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)


if __name__ == "__main__":
    main()
