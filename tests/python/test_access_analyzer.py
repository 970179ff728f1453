"""IAM Access Analyzer (REST-JSON) on oxiam's one endpoint, through boto3's `accessanalyzer`
client, the AWS CLI and hand-signed requests against the real server: the analyzer
operations (create, get, list, update, delete, tags) with their errors, denials for a user
without permission, unsigned and badly signed requests, bodies that cannot be parsed,
validation errors with their `reason` and `fieldList`, unknown routes, the policy operations
that are not implemented yet, and the IAM Query API unchanged on the same server."""
import datetime
import json
import os
import subprocess
import sys
import urllib.request

import boto3
import botocore.exceptions
import pytest

from conftest import ACCOUNT, ROOT_KEY, ROOT_SECRET
from test_access_advisor import by_namespace, report
from test_authorization import send, sign

ARN = f"arn:aws:access-analyzer:us-east-1:{ACCOUNT}:analyzer"


def failure(fn, **kw):
    """(code, HTTP status, message, the parsed response) of a call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"], r


def user_client(oxiam, name, *statements):
    iam = oxiam.client("iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": list(statements)}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return oxiam.client("accessanalyzer", key["AccessKeyId"], key["SecretAccessKey"])


def test_an_analyzer_lives_from_create_to_delete(oxiam):
    aa = oxiam.client("accessanalyzer")
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    arn = aa.create_analyzer(analyzerName="watch", type="ACCOUNT", tags={"team": "sec"})["arn"]
    assert arn == f"{ARN}/watch"
    got = aa.get_analyzer(analyzerName="watch")["analyzer"]
    assert (got["arn"], got["name"], got["type"], got["status"]) == \
        (arn, "watch", "ACCOUNT", "ACTIVE")
    assert got["tags"] == {"team": "sec"}
    assert got["createdAt"] >= before
    assert "configuration" not in got

    unused = aa.create_analyzer(analyzerName="unused", type="ACCOUNT_UNUSED_ACCESS")["arn"]
    got = aa.get_analyzer(analyzerName="unused")["analyzer"]
    # AWS's default age when the configuration is left out.
    assert got["configuration"] == {"unusedAccess": {"unusedAccessAge": 90}}
    assert [a["name"] for a in aa.list_analyzers()["analyzers"]] == ["unused", "watch"]
    assert [a["arn"] for a in aa.list_analyzers(type="ACCOUNT_UNUSED_ACCESS")["analyzers"]] == \
        [unused]
    assert aa.list_analyzers(type="ORGANIZATION")["analyzers"] == []

    new = {"unusedAccess": {"unusedAccessAge": 30, "analysisRule": {"exclusions": [
        {"accountIds": ["111122223333"], "resourceTags": [{"keep": "yes"}]}]}}}
    assert aa.update_analyzer(analyzerName="unused", configuration=new)["configuration"] == new
    assert aa.get_analyzer(analyzerName="unused")["analyzer"]["configuration"] == new

    aa.delete_analyzer(analyzerName="watch")
    code, status, message, _ = failure(aa.get_analyzer, analyzerName="watch")
    assert (code, status, message) == ("ResourceNotFoundException", 404, "Analyzer watch not found")
    assert [a["name"] for a in aa.list_analyzers()["analyzers"]] == ["unused"]
    # The name is free again.
    aa.create_analyzer(analyzerName="watch", type="ACCOUNT")


def test_tags_of_an_analyzer(oxiam):
    aa = oxiam.client("accessanalyzer")
    arn = aa.create_analyzer(analyzerName="tagged", type="ACCOUNT", tags={"a": "1"})["arn"]
    aa.tag_resource(resourceArn=arn, tags={"b": "2", "a": "3"})
    assert aa.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "3", "b": "2"}
    aa.untag_resource(resourceArn=arn, tagKeys=["a", "missing"])
    assert aa.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    assert aa.get_analyzer(analyzerName="tagged")["analyzer"]["tags"] == {"b": "2"}
    code, status, message, r = failure(aa.tag_resource, resourceArn=f"{ARN}/ghost",
                                       tags={"k": "v"})
    assert (code, status, message) == ("ResourceNotFoundException", 404, "Analyzer ghost not found")
    assert (r["resourceId"], r["resourceType"]) == ("ghost", "AWS::AccessAnalyzer::Analyzer")
    # Another account's analyzer: the root has no permission there.
    code, status, _, _ = failure(
        aa.list_tags_for_resource,
        resourceArn="arn:aws:access-analyzer:us-east-1:999999999999:analyzer/tagged")
    assert (code, status) == ("AccessDeniedException", 403)
    # A resource of another kind is not found.
    code, status, message, _ = failure(aa.list_tags_for_resource, resourceArn="arn:aws:s3:::b")
    assert (code, status, message) == ("ResourceNotFoundException", 404,
                                       "Resource arn:aws:s3:::b not found")


def test_names_quotas_and_client_tokens(oxiam):
    aa = oxiam.client("accessanalyzer")
    first = aa.create_analyzer(analyzerName="one", type="ACCOUNT", clientToken="t-1")["arn"]
    # A retry with the same client token answers the same analyzer.
    assert aa.create_analyzer(analyzerName="one", type="ACCOUNT", clientToken="t-1")["arn"] == first
    code, status, message, r = failure(aa.create_analyzer, analyzerName="one", type="ACCOUNT",
                                       clientToken="t-2")
    assert (code, status, message) == ("ConflictException", 409, "Analyzer one already exists")
    assert r["resourceId"] == "one"
    # One account-level analyzer per type per Region (AWS's quota).
    code, status, message, _ = failure(aa.create_analyzer, analyzerName="two", type="ACCOUNT")
    assert (code, status, message) == \
        ("ServiceQuotaExceededException", 402, "Maximum number of analyzers of type ACCOUNT reached")
    aa.create_analyzer(analyzerName="two", type="ACCOUNT_INTERNAL_ACCESS")
    # Analyzers are regional: another Region has its own.
    eu = boto3.client("accessanalyzer", endpoint_url=oxiam.endpoint, region_name="eu-west-1",
                      aws_access_key_id=ROOT_KEY, aws_secret_access_key=ROOT_SECRET)
    assert eu.list_analyzers()["analyzers"] == []
    assert eu.create_analyzer(analyzerName="two", type="ACCOUNT")["arn"] == \
        f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT}:analyzer/two"
    # Organization analyzers need an organization, which oxiam does not have.
    code, status, message, _ = failure(aa.create_analyzer, analyzerName="org",
                                       type="ORGANIZATION")
    assert (code, status) == ("ValidationException", 400)
    assert message == "Analyzers of type ORGANIZATION can only be created by an account in an organization"


def test_validation_errors_carry_reason_and_field_list(oxiam):
    # boto3's own validation off: the server must refuse what it is sent.
    aa = boto3.client("accessanalyzer", endpoint_url=oxiam.endpoint, region_name="us-east-1",
                      aws_access_key_id=ROOT_KEY, aws_secret_access_key=ROOT_SECRET,
                      config=boto3.session.Config(parameter_validation=False))
    code, status, message, r = failure(aa.create_analyzer, analyzerName="1bad", type="NOPE")
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("2 validation errors detected: Value '1bad' at 'analyzerName' "
                              "failed to satisfy constraint: Member must satisfy regular "
                              "expression pattern: [A-Za-z_][A-Za-z0-9_.-]*; Value 'NOPE' at "
                              "'type' failed to satisfy constraint: Member must satisfy enum "
                              "value set: [ACCOUNT, ORGANIZATION, ")
    assert r["reason"] == "fieldValidationFailed"
    assert [f["name"] for f in r["fieldList"]] == ["analyzerName", "type"]
    code, _, message, _ = failure(aa.create_analyzer, analyzerName="ok")
    assert code == "ValidationException"
    assert message == ("1 validation error detected: Value null at 'type' failed to satisfy "
                       "constraint: Member must not be null")
    code, _, message, _ = failure(aa.create_analyzer, analyzerName="aged",
                                  type="ACCOUNT_UNUSED_ACCESS",
                                  configuration={"unusedAccess": {"unusedAccessAge": 0}})
    assert (code, message) == ("ValidationException",
                               "unusedAccessAge must be between 1 and 365 days, got 0")


def signed(oxiam, method, path, body=b"", key=ROOT_KEY, secret=ROOT_SECRET,
           service="access-analyzer"):
    req = sign(method, oxiam.endpoint + path, (key, secret), body=body,
               headers={"Content-Type": "application/json"}, service=service)
    status, headers, raw = send(req)
    return status, headers.get("x-amzn-ErrorType"), json.loads(raw) if raw else None


def test_a_body_that_is_not_json_cannot_be_parsed(oxiam):
    status, code, body = signed(oxiam, "PUT", "/analyzer", b'{"analyzerName": "x", ')
    assert (status, code) == (400, "ValidationException")
    assert body == {"message": "Cannot parse the request: the request body is not a JSON object",
                    "reason": "cannotParse"}
    for member, value, where, kind in [
            ("analyzerName", 7, "analyzerName", "string"),
            ("configuration", "x", "configuration", "union"),
            ("tags", ["x"], "tags", "map"),
            ("archiveRules", ["x"], "archiveRules.1.member", "structure")]:
        request = {"analyzerName": "a", "type": "ACCOUNT", member: value}
        status, code, body = signed(oxiam, "PUT", "/analyzer", json.dumps(request).encode())
        assert (status, code) == (400, "ValidationException")
        assert body == {"message": f"Cannot parse the request: the value at '{where}' is not "
                                   f"a {kind}", "reason": "cannotParse"}


def test_unknown_routes_answer_unknown_operation(oxiam):
    status, code, _ = signed(oxiam, "GET", "/nowhere")
    assert (status, code) == (404, "UnknownOperationException")
    status, code, _ = signed(oxiam, "PATCH", "/analyzer")
    assert (status, code) == (404, "UnknownOperationException")


def test_unsigned_and_badly_signed_requests_are_refused_in_the_json_envelope(oxiam):
    r = urllib.request.Request(oxiam.endpoint + "/analyzer", method="GET")
    try:
        urllib.request.urlopen(r, timeout=30)
        raise AssertionError("an unsigned request was served")
    except urllib.error.HTTPError as e:
        assert e.code == 403
        assert e.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
        assert e.headers["Content-Type"] == "application/json"
        assert json.loads(e.read()) == {"message": "Missing Authentication Token"}

    wrong_secret = oxiam.client("accessanalyzer", ROOT_KEY, "x" * 40)
    code, status, message, _ = failure(wrong_secret.list_analyzers)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("The request signature we calculated does not match")
    unknown = oxiam.client("accessanalyzer", "AKIAUNKNOWNUNKNOWN00", "x" * 40)
    code, status, message, _ = failure(unknown.list_analyzers)
    assert (code, status, message) == ("UnrecognizedClientException", 403,
                                       "The security token included in the request is invalid.")


def test_a_user_without_permission_is_denied_and_one_with_it_is_not(oxiam):
    nobody = user_client(oxiam, "nobody")
    code, status, message, _ = failure(nobody.list_analyzers)
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == (f"User: arn:aws:iam::{ACCOUNT}:user/nobody is not authorized to perform: "
                       "access-analyzer:ListAnalyzers on resource: * because no identity-based "
                       "policy allows the access-analyzer:ListAnalyzers action")
    code, status, message, _ = failure(nobody.create_analyzer, analyzerName="mine", type="ACCOUNT")
    assert (code, status) == ("AccessDeniedException", 403)
    assert f"access-analyzer:CreateAnalyzer on resource: {ARN}/mine because" in message

    # Allowed on one analyzer by name: that one, not another.
    reader = user_client(oxiam, "reader", {"Effect": "Allow", "Action": "access-analyzer:*",
                                           "Resource": f"{ARN}/team-*"})
    reader.create_analyzer(analyzerName="team-a", type="ACCOUNT")
    assert reader.get_analyzer(analyzerName="team-a")["analyzer"]["name"] == "team-a"
    code, status, _, _ = failure(reader.create_analyzer, analyzerName="other",
                                 type="ACCOUNT_UNUSED_ACCESS")
    assert (code, status) == ("AccessDeniedException", 403)
    # Tag conditions: the request's tags decide.
    tagger = user_client(oxiam, "tagger", {
        "Effect": "Allow", "Action": "access-analyzer:CreateAnalyzer", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestTag/team": "sec"}}})
    code, _, _, _ = failure(tagger.create_analyzer, analyzerName="untagged",
                            type="ACCOUNT_INTERNAL_ACCESS")
    assert code == "AccessDeniedException"
    tagger.create_analyzer(analyzerName="tagged", type="ACCOUNT_INTERNAL_ACCESS",
                           tags={"team": "sec"})


def test_the_policy_operations_are_not_implemented_yet(oxiam):
    aa = oxiam.client("accessanalyzer")
    code, status, message, _ = failure(aa.validate_policy, policyType="IDENTITY_POLICY",
                                       policyDocument='{"Version":"2012-10-17","Statement":[]}')
    assert (code, status) == ("NotImplemented", 501)
    assert message == "oxiam does not implement the operation ValidatePolicy yet"
    code, status, _, _ = failure(aa.list_policy_generations)
    assert (code, status) == ("NotImplemented", 501)


def test_calls_are_recorded_for_the_access_advisor(oxiam):
    iam = oxiam.client("iam")
    user = user_client(oxiam, "auditor", {"Effect": "Allow", "Action": "access-analyzer:List*",
                                          "Resource": "*"})
    user.list_analyzers()
    _, out = report(iam, f"arn:aws:iam::{ACCOUNT}:user/auditor")
    seen = by_namespace(out)["access-analyzer"]
    assert seen["TotalAuthenticatedEntities"] == 1
    assert seen["LastAuthenticatedEntity"] == f"arn:aws:iam::{ACCOUNT}:user/auditor"


def test_the_query_api_is_unchanged_on_the_same_endpoint(oxiam):
    iam = oxiam.client("iam")
    oxiam.client("accessanalyzer").create_analyzer(analyzerName="watch", type="ACCOUNT")
    iam.create_user(UserName="still-query")
    assert iam.get_user(UserName="still-query")["User"]["UserName"] == "still-query"
    # An IAM-signed request to an Access Analyzer path is still AWS Query: XML, IAM's code.
    status, headers, raw = send(sign("POST", oxiam.endpoint + "/analyzer", (ROOT_KEY, ROOT_SECRET),
                                     body=b"Action=GetUser&Version=2010-05-08",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"},
                                     service="iam"))
    assert status == 200 and b"<GetUserResponse" in raw


def test_the_aws_cli_manages_analyzers(oxiam):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ROOT_KEY, AWS_SECRET_ACCESS_KEY=ROOT_SECRET,
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=oxiam.endpoint)
    aws = [os.path.join(os.path.dirname(sys.executable), "aws")]

    def cli(*args, ok=True):
        out = subprocess.run([*aws, "accessanalyzer", *args, "--output", "json"], env=env,
                             capture_output=True, text=True, timeout=60)
        assert (out.returncode == 0) == ok, out.stderr
        return json.loads(out.stdout) if ok and out.stdout.strip() else out.stderr

    assert cli("create-analyzer", "--analyzer-name", "cli", "--type", "ACCOUNT",
               "--tags", "team=sec")["arn"] == f"{ARN}/cli"
    assert cli("get-analyzer", "--analyzer-name", "cli")["analyzer"]["status"] == "ACTIVE"
    assert [a["name"] for a in cli("list-analyzers")["analyzers"]] == ["cli"]
    cli("tag-resource", "--resource-arn", f"{ARN}/cli", "--tags", "env=prod")
    assert cli("list-tags-for-resource", "--resource-arn", f"{ARN}/cli")["tags"] == \
        {"team": "sec", "env": "prod"}
    cli("untag-resource", "--resource-arn", f"{ARN}/cli", "--tag-keys", "team")
    cli("delete-analyzer", "--analyzer-name", "cli")
    err = cli("get-analyzer", "--analyzer-name", "cli", ok=False)
    assert "ResourceNotFoundException" in err and "Analyzer cli not found" in err
