"""Serializes requests with botocore's own AWS Query serializer, one per line:
`<service>\t<operation>\t<form-urlencoded body>`. tests/botocore.rs decodes each."""
import urllib.parse

import botocore.session
from botocore.serialize import QuerySerializer

session = botocore.session.get_session()
models = {name: session.get_service_model(name) for name in ("iam", "sts")}

REQUESTS = [
    ("iam", "CreateUser", {"UserName": "bob", "Path": "/team/",
                           "Tags": [{"Key": "dept", "Value": "R+D / été"}, {"Key": "k2", "Value": "a b+c"}]}),
    ("iam", "CreateUser", {"UserName": "bob", "Tags": []}),
    ("iam", "ListUsers", {"MaxItems": 5, "Marker": "m=="}),
    ("iam", "UntagUser", {"UserName": "bob", "TagKeys": ["a", "b"]}),
    ("iam", "UpdateAccountPasswordPolicy", {"RequireSymbols": True, "HardExpiry": False,
                                            "MinimumPasswordLength": 12}),
    ("iam", "PutAccountProperties", {"Properties": {"color": "blue", "size": "XL"}}),
    ("iam", "GetAccountSummary", {}),
    ("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::123456789012:role/demo", "RoleSessionName": "s1",
                           "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
                           "Tags": [{"Key": "project", "Value": "x"}],
                           "TransitiveTagKeys": ["project"], "DurationSeconds": 3600}),
    ("sts", "GetCallerIdentity", {}),
]

for service, operation, params in REQUESTS:
    model = models[service].operation_model(operation)
    request = QuerySerializer().serialize_to_request(params, model)
    body = request["body"]
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body)
    print(f"{service}\t{operation}\t{body}")
