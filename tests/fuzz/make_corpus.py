#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<fuzzer>/ from the SDK wire
captures (tests/vectors/sdk-wire-captures.json), the fleets in scripts/fleets
and real ECS error bodies (ecs-facts 4). Deterministic; rerun after changing
it. Regression inputs found by fuzzing live next to these as
regress-*.txt files, written by hand, and are kept."""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOKEN = json.load(open(os.path.join(ROOT, "tests/vectors/sdk-wire-captures.json")))[
    "credentials"]["sts_security_token"]


def write(fuzzer, name, data):
    d = os.path.join(HERE, "corpus", fuzzer)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def pct(s):
    out = []
    for b in s.encode():
        c = chr(b)
        out.append(c if c.isalnum() and b < 128 or c in "-_.~" else "%%%02X" % b)
    return "".join(out)


caps = json.load(open(os.path.join(ROOT, "tests/vectors/sdk-wire-captures.json")))

# ---- fuzz_sim_request: every captured request, as received ----
seen = set()
for sec in ("calls", "errors"):
    for c in caps[sec]:
        for i, r in enumerate(c.get("requests", [])):
            if "raw_headers" not in r:
                continue
            head = "%s %s HTTP/1.1\n" % (r["method"], r["target"])
            head += "".join("%s: %s\n" % (k, v) for k, v in r["raw_headers"])
            data = head + "\n" + r.get("body_utf8", "")
            h = hashlib.sha1(data.encode()).hexdigest()[:8]
            if h in seen:
                continue
            seen.add(h)
            write("fuzz_sim_request", "%s-%d.txt" % (c["id"], i + 1), data)


def v3(action, query, extra=(), method="POST", body="", ctype=None):
    hs = [("host", "ecs.cn-hangzhou.aliyuncs.com"), ("x-acs-version", "2014-05-26"),
          ("x-acs-action", action), ("x-acs-date", "2026-11-26T02:58:43Z"),
          ("x-acs-signature-nonce", hashlib.sha256((action + query).encode()).hexdigest()),
          ("accept", "application/json"),
          ("x-acs-content-sha256", hashlib.sha256(body.encode()).hexdigest())]
    if ctype:
        hs.append(("content-type", ctype))
    hs += list(extra)
    hs.append(("Authorization", "ACS3-HMAC-SHA256 Credential=LTAI5tFakeAccessKeyId01,"
               "SignedHeaders=" + ";".join(sorted({k.lower() for k, _ in hs})) +
               ",Signature=" + "0" * 64))
    return "%s /?%s HTTP/1.1\n%s\n%s" % (method, query, "".join("%s: %s\n" % kv for kv in hs), body)


def v1(params, method="GET", form=False):
    p = {"Format": "JSON", "Version": "2014-05-26", "AccessKeyId": "LTAI5tFakeAccessKeyId01",
         "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
         "SignatureNonce": hashlib.sha1(repr(params).encode()).hexdigest(),
         "Timestamp": "2026-11-26T02:58:43Z", "Signature": "AAAA"}
    p.update(params)
    q = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in sorted(p.items()))
    if form:
        return ("POST / HTTP/1.1\nhost: 127.0.0.1\ncontent-type: application/x-www-form-urlencoded"
                "\n\n" + q)
    return "%s /?%s HTTP/1.1\nhost: 127.0.0.1\n\n" % (method, q)


S = "fuzz_sim_request"
write(S, "v3-describe-filters.txt", v3("DescribeInstances",
      "RegionId=cn-hangzhou&Status=Stopped&LockReason=financial&InstanceChargeType=PostPaid"
      "&ZoneId=cn-hangzhou-a&InstanceName=web-*&Tag.1.Key=env&Tag.1.Value=prod&PageSize=1"))
write(S, "v3-describe-ids.txt", v3("DescribeInstances",
      "RegionId=cn-hangzhou&InstanceIds=" + pct('["i-bp1gbz20g229bvx5xxxx","i-running"]')))
write(S, "v3-describe-token.txt", v3("DescribeInstances",
      "RegionId=cn-hangzhou&MaxResults=10&NextToken=5a5a5a5b0123456789abcdef01234567"))
write(S, "v3-status.txt", v3("DescribeInstanceStatus",
      "RegionId=cn-hangzhou&PageNumber=2&PageSize=1&InstanceId.1=i-running&InstanceId.2=i-fault"))
write(S, "v3-regions.txt", v3("DescribeRegions", ""))
write(S, "v3-reactivate-fault.txt", v3("ReActivateInstances", "InstanceId=i-fault&RegionId=cn-hangzhou"))
write(S, "v3-reactivate-prepaid.txt", v3("ReActivateInstances", "InstanceId=i-prepaid"))
write(S, "v3-form-body.txt", v3("ReActivateInstances", "RegionId=cn-hangzhou",
      body="InstanceId=i-bp1gbz20g229bvx5yyyy", ctype="application/x-www-form-urlencoded"))
write(S, "v3-sts.txt", v3("ReActivateInstances", "InstanceId=i-sts0001&RegionId=cn-shanghai",
      extra=[("x-acs-security-token", TOKEN), ("x-acs-accesskey-id", "STS.NUgYrLnoC37mZZCNnAbez2xxx")]).replace(
      "Credential=LTAI5tFakeAccessKeyId01", "Credential=STS.NUgYrLnoC37mZZCNnAbez2xxx"))
write(S, "v1-describe-page.txt", v1({"Action": "DescribeInstances", "RegionId": "cn-hangzhou",
      "PageNumber": "2", "PageSize": "2"}))
write(S, "v1-status-form.txt", v1({"Action": "DescribeInstanceStatus", "RegionId": "cn-hangzhou",
      "InstanceId.1": "i-running"}, form=True))
write(S, "v1-reactivate-poor.txt", v1({"Action": "ReActivateInstances", "InstanceId": "i-poor0001",
      "AccessKeyId": "sim-ak"}))
write(S, "v1-xml.txt", v1({"Action": "DescribeRegions", "Format": "XML"}))
write(S, "v1-put.txt", v1({"Action": "DescribeRegions"}, method="PUT"))

# ---- fuzz_response: status, headers, body ----
R = "fuzz_response"
JSONCT = "content-type: application/json;charset=utf-8\n"
RID = "x-acs-request-id: 5D8A3C1E-0000-4000-8000-000000000001\n"


def resp(status, body, headers=JSONCT + RID):
    return "%s\n%s\n%s" % (status, headers, body)


bodies = caps["server_response_bodies"]
write(R, "ok-reactivate.txt", resp(200, json.dumps(bodies["ReActivateInstances"])))
write(R, "ok-describe.txt", resp(200, json.dumps(bodies["DescribeInstances"], ensure_ascii=False)))
write(R, "err403.txt", resp(403, json.dumps(bodies["error_403"])))
for code, status, msg in [
        ("InvalidAccessKeyId.NotFound", 404, "Specified access key is not found."),
        ("SignatureNonceUsed", 400, "Specified signature nonce was used already."),
        ("InternalError", 500, "The request processing has failed due to some unknown error, exception or failure."),
        ("ServiceUnavailable.RegionMaintaining", 503, "System maintenance is in progress on the selected region, please wait a few minutes before trying again."),
        ("InvalidSecurityToken.Expired", 400, "Specified SecurityToken is expired."),
        ("Throttling", 400, "Request was denied due to request throttling.")]:
    write(R, "err-%s.txt" % code, resp(status, json.dumps(
        {"RequestId": "540CFF28-407A-40B5-B6A5-74B000000000", "HostId": "ecs.aliyuncs.com",
         "Code": code, "Message": msg,
         "Recommend": "https://api.aliyun.com/troubleshoot?q=%s&product=Ecs&requestId=540CFF28" % code})))
write(R, "err-throttling-user-retry.txt", resp(400, json.dumps(
    {"RequestId": "A57FBFD7-0000", "HostId": "ecs-cn-hangzhou.aliyuncs.com", "Code": "Throttling.User",
     "Message": "Request was denied due to user flow control."}),
    JSONCT + RID + "x-acs-retry-after: 1500\n"))
write(R, "err-retry-after-spaces.txt", resp(429, '{"Code":"Throttling.Api"}', JSONCT + "x-acs-retry-after:  86400000 \n"))
sts = "POST&%2F&" + pct("AccessKeyId=STS.NUgYrLnoC37mZZCNnAbez2xxx&Action=ReActivateInstances&SecurityToken=" + pct(TOKEN))
write(R, "err-signature-v1-old.txt", resp(400, json.dumps(
    {"Recommend": "https://error-center.aliyun.com/status/search?Keyword=SignatureDoesNotMatch&source=PopGw",
     "Message": "Specified signature is not matched with our calculation. server string to sign is:" + sts,
     "RequestId": "1DD9FD9A-0000", "HostId": "alidns.aliyuncs.com", "Code": "SignatureDoesNotMatch"})))
write(R, "err-lowercase-keys.txt", resp(400, '{"code":"MissingParameter","message":"The input parameter InstanceId that is mandatory for processing this request is not supplied.","requestId":"x","hostId":"ecs.aliyuncs.com"}'))
write(R, "err-access-denied.txt", resp(403, json.dumps(
    {"RequestId": "r", "Code": "Forbidden.RAM", "Message": "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
     "AccessDeniedDetail": {"PolicyType": "AccountLevelIdentityBasedPolicy", "AuthAction": "ecs:ReActivateInstances"}})))
write(R, "html503.txt", resp(503, "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n", "content-type: text/html\n"))
write(R, "truncated.txt", resp(200, '{"RequestId": "5D8A3C1E'))
write(R, "xml-error.txt", resp(400, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><RequestId>r</RequestId><HostId>ecs.aliyuncs.com</HostId><Code>IncompleteSignature</Code><Message>The request signature does not conform to Alibaba Cloud standards.</Message></Error>', "content-type: text/xml;charset=utf-8\n"))
write(R, "empty-204.txt", resp(204, ""))
write(R, "array-200.txt", resp(200, "[1,2,3]"))
write(R, "transport-timeout.txt", "ETIMEDOUT\n\n")

# ---- fuzz_query: queries, form bodies, JSON values ----
Q = "fuzz_query"
for sec in ("calls",):
    for c in caps[sec]:
        for r in c.get("requests", []):
            t = r.get("target", "")
            if "?" in t:
                write(Q, "q-%s.txt" % c["id"], t.split("?", 1)[1])
            if r.get("body_utf8"):
                write(Q, "form-%s.txt" % c["id"], r["body_utf8"])
write(Q, "special.txt", "a=web-*%20(%E6%B5%8B%E8%AF%95)%20a%2Bb!%27~&b=x+y&c&=v&&%zz=%4&%00=1")
write(Q, "json-repeatlist.json", json.dumps({"InstanceIds": ["i-1", "i-2"], "Tag": [
    {"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "web"}],
    "PageSize": 100, "DryRun": False, "Skip": None, "Nested": {"A": [[1, 2], {"B": 1.5e21}]}}))
write(Q, "json-numbers.json", "[0, -0, 1e-7, 0.000001, 123456789012345678901234, 1.5, -2.5e-300, 1e400]")
write(Q, "json-unicode.json", json.dumps({"InstanceName": "测试 web-*", "Description": "a+b !'()*"}, ensure_ascii=False))

# ---- fuzz_fleet: the real fleets and a few broken ones ----
F = "fuzz_fleet"
for f in sorted(os.listdir(os.path.join(ROOT, "scripts/fleets"))):
    if f.endswith(".json"):
        write(F, f, open(os.path.join(ROOT, "scripts/fleets", f), "rb").read())
write(F, "full.json", json.dumps({
    "accounts": [{"access_key_id": "ak1", "access_key_secret": "s1", "balance": 5, "min_balance": 1},
                 {"access_key_id": "STS.x", "access_key_secret": "s2", "security_token": "tok",
                  "expiration": "2030-01-01T00:00:00Z"}],
    "latency_ms": 0, "start_delay_ms": 10,
    "throttle": {"DescribeInstances": {"limit": 5, "window_s": 1, "status": 429}},
    "instances": [{"InstanceId": "i-1", "RegionId": "r", "Status": "Stopped", "account": "STS.x",
                   "CreationTime": "2024-02-29T10:00:00Z", "ExpiredTime": "2025-01-01T00:00Z",
                   "LockReasons": ["financial", "security", "Recycling", "dedicatedhostfinancial", "refunded"],
                   "Tags": {"a": "b"}, "InstanceChargeType": "PrePaid", "HostName": "h", "InstanceType": "t"}],
    "faults": [{"action": "ReActivateInstances", "transport": "hang", "times": -1},
               {"action": "DescribeRegions", "malformed": True, "apply": True},
               {"action": "DescribeInstances", "error": "X", "status": 599, "message": "m"}]}))
write(F, "bad-status.json", '{"instances":[{"InstanceId":"i","RegionId":"r","Status":"Expired"}]}')
write(F, "bad-dup.json", '{"accounts":[{"access_key_id":"a","access_key_secret":"b"},{"access_key_id":"a","access_key_secret":"c"}]}')
write(F, "bad-json.json", '{"instances": [')

# ---- fuzz_creds_config: ~/.aliyun/config.json (ecs-facts 6.3) and URI docs ----
C = "fuzz_creds_config"
write(C, "cli-ak.json", json.dumps({"current": "default", "profiles": [
    {"name": "default", "mode": "AK", "access_key_id": "LTAI5tFakeAccessKeyId01",
     "access_key_secret": "FakeAccessKeySecret0123456789ab", "region_id": "cn-hangzhou",
     "output_format": "json", "language": "en", "site": "china"}], "meta_path": ""}, indent=2))
write(C, "cli-chain.json", json.dumps({"current": "chain", "profiles": [
    {"name": "chain", "mode": "ChainableRamRoleArn", "ram_role_arn": "acs:ram::123456789012:role/ops",
     "ram_session_name": "session", "source_profile": "cli-test", "expired_seconds": 3600},
    {"name": "cli-test", "mode": "AK", "access_key_id": "LTAI5tFakeAccessKeyId01",
     "access_key_secret": "FakeAccessKeySecret0123456789ab"},
    {"name": "loop", "mode": "ChainableRamRoleArn", "ram_role_arn": "acs:ram::1:role/x", "source_profile": "loop"}]}))
write(C, "cli-modes.json", json.dumps({"profiles": [
    {"name": "default", "mode": "StsToken", "access_key_id": "STS.NUgYrLnoC37mZZCNnAbez2xxx",
     "access_key_secret": "FakeStsSecret9xQ2", "sts_token": TOKEN, "region_id": "cn-shanghai"},
    {"name": "prod", "mode": "RamRoleArn", "access_key_id": "LTAI5tFakeAccessKeyId01",
     "access_key_secret": "FakeAccessKeySecret0123456789ab", "ram_role_arn": "acs:ram::1:role/r",
     "sts_region": "cn-hangzhou", "external_id": "abc"},
    {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "ecs-role"},
    {"name": "uri", "mode": "CredentialsURI", "credentials_uri": "http://127.0.0.1:8080/creds"},
    {"name": "ext", "mode": "External", "process_command": "/usr/bin/printf '{}'"},
    {"name": "oidc", "mode": "OIDC", "oidc_provider_arn": "acs:ram::1:oidc-provider/p",
     "oidc_token_file": "/var/run/token", "ram_role_arn": "acs:ram::1:role/o"},
    {"name": "sso", "mode": "CloudSSO"}, {"name": "auto", "ram_role_name": "r"}]}))
write(C, "uri-doc.json", json.dumps({"Code": "Success", "AccessKeyId": "STS.NUgYrLnoC37mZZCNnAbez2xxx",
    "AccessKeySecret": "FakeStsSecret9xQ2", "SecurityToken": TOKEN,
    "Expiration": "2026-11-26T08:58:43Z", "LastUpdated": "2026-11-26T02:58:43Z"}))
write(C, "uri-doc-failed.json", '{"Code":"Failed","Message":"role not attached"}')

# ---- fuzz_creds_ini: ~/.alibabacloud/credentials (ecs-facts 6.4) ----
I = "fuzz_creds_ini"
write(I, "readme.ini", "[default]\ntype = access_key\naccess_key_id = foo\naccess_key_secret = bar\n")
write(I, "all-types.ini", "[default]\ntype = access_key\naccess_key_id = LTAI5tFakeAccessKeyId01\n"
      "access_key_secret = FakeAccessKeySecret0123456789ab\n\n[prod]\ntype = ram_role_arn\n"
      "access_key_id = LTAI5tFakeAccessKeyId01\naccess_key_secret = FakeAccessKeySecret0123456789ab\n"
      "role_arn = acs:ram::123456789012:role/ops\nrole_session_name = ecsrun\npolicy = {}\n"
      "sts_region = cn-hangzhou\n\n[ecs]\ntype = ecs_ram_role\nrole_name = ecs-role\n")
write(I, "named.ini", "#profile client b\n; comment\n[client b]\ntype = bogus\n[default]\n"
      "type=access_key\naccess_key_id=a\n")
write(I, "broken.ini", "[default\ntype = access_key\n  continued = line\n")

# ---- fuzz_sim_request: STS and the metadata service (the fuzz fleet has roles) ----
write(S, "sts-assume-role.txt", v1({"Action": "AssumeRole", "Version": "2015-04-01",
      "RoleArn": "acs:ram::123:role/ecs", "RoleSessionName": "ecsrun", "DurationSeconds": "900"},
      method="POST"))
write(S, "sts-assume-role-form.txt", v1({"Action": "AssumeRole", "Version": "2015-04-01",
      "RoleArn": "acs:ram::123:role/ecs", "RoleSessionName": "s", "Policy": "{}"}, form=True))
write(S, "sts-oidc.txt", "POST /?Action=AssumeRoleWithOIDC&Version=2015-04-01&Format=JSON&RoleArn="
      "acs%3Aram%3A%3A123%3Arole%2Foidc&OIDCProviderArn=acs%3Aram%3A%3A123%3Aoidc-provider%2Fp"
      "&RoleSessionName=s&OIDCToken=eyJhbGciOi.fake.tok&Timestamp=2026-11-26T02%3A58%3A43Z HTTP/1.1\n"
      "host: sts.aliyuncs.com\n\n")
write(S, "imds-token.txt", "PUT /latest/api/token HTTP/1.1\nhost: 100.100.100.200\n"
      "X-aliyun-ecs-metadata-token-ttl-seconds: 21600\n\n")
write(S, "imds-role-list.txt", "GET /latest/meta-data/ram/security-credentials/ HTTP/1.1\n"
      "host: 100.100.100.200\nX-aliyun-ecs-metadata-token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n")
write(S, "imds-role.txt", "GET /latest/meta-data/ram/security-credentials/EcsRole HTTP/1.1\n"
      "host: 100.100.100.200\n\n")
