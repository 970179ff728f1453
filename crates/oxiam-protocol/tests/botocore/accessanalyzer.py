"""IAM Access Analyzer (REST-JSON) round trips with botocore's own serializer and parser.

`serialize`: serializes requests, one per line as
`<operation>\t<method>\t<path>\t<query>\t<body>`; tests/botocore.rs decodes each.
`parse OPERATION STATUS ERROR_TYPE`: parses the response body on stdin as botocore's
rest-json parser does and prints the parsed dict as JSON (timestamps as ISO 8601)."""
import datetime
import json
import sys
import urllib.parse

import botocore.session
from botocore.parsers import RestJSONParser
from botocore.serialize import RestJSONSerializer

model = botocore.session.get_session().get_service_model("accessanalyzer")
ARN = "arn:aws:access-analyzer:us-east-1:123456789012:analyzer/a b"

REQUESTS = [
    ("CreateAnalyzer", {"analyzerName": "a1", "type": "ACCOUNT_UNUSED_ACCESS", "clientToken": "t",
                        "tags": {"team": "R+D / été"},
                        "configuration": {"unusedAccess": {"unusedAccessAge": 30, "analysisRule": {
                            "exclusions": [{"accountIds": ["111122223333"],
                                            "resourceTags": [{"k": "v"}]}]}}}}),
    ("GetAnalyzer", {"analyzerName": "a.1_x"}),
    ("ListAnalyzers", {"type": "ACCOUNT", "maxResults": 5, "nextToken": "n=="}),
    ("UpdateAnalyzer", {"analyzerName": "a1", "configuration": {"internalAccess": {
        "analysisRule": {"inclusions": [{"resourceTypes": ["AWS::S3::Bucket"]}]}}}}),
    ("DeleteAnalyzer", {"analyzerName": "a1", "clientToken": "tok"}),
    ("TagResource", {"resourceArn": ARN, "tags": {"k": "v"}}),
    ("UntagResource", {"resourceArn": ARN, "tagKeys": ["a", "b c"]}),
    ("ListTagsForResource", {"resourceArn": ARN}),
    ("GetFindingsStatistics", {"analyzerArn": ARN}),
    ("ValidatePolicy", {"policyDocument": "{}", "policyType": "IDENTITY_POLICY", "maxResults": 2}),
    ("CheckAccessNotGranted", {"policyDocument": "{}", "policyType": "IDENTITY_POLICY",
                               "access": [{"actions": ["s3:GetObject"]}]}),
    ("GetGeneratedPolicy", {"jobId": "j-1", "includeResourcePlaceholders": True}),
]


def serialize():
    for operation, params in REQUESTS:
        op = model.operation_model(operation)
        request = RestJSONSerializer().serialize_to_request(params, op)
        query = urllib.parse.urlencode(request["query_string"], doseq=True)
        body = request["body"].decode() if isinstance(request["body"], bytes) else request["body"]
        print("\t".join([operation, request["method"], request["url_path"], query, body or ""]))


def parse(operation, status, error_type):
    op = model.operation_model(operation)
    headers = {"x-amzn-errortype": error_type} if error_type != "-" else {}
    response = {"status_code": int(status), "headers": headers, "body": sys.stdin.buffer.read()}
    parsed = RestJSONParser().parse(response, op.output_shape)
    parsed.pop("ResponseMetadata", None)

    def default(o):
        if isinstance(o, datetime.datetime):
            return o.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        raise TypeError(o)
    print(json.dumps(parsed, default=default, sort_keys=True))


if sys.argv[1] == "serialize":
    serialize()
else:
    parse(*sys.argv[2:5])
