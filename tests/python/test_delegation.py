"""boto3 against the real oxiam server: IAM temporary delegation end to end. A partner account
registers a permission template and creates a delegation request for the customer's account;
identities of the customer's account associate, forward, accept and release it; the partner
reads the trade-in token from its notification channel (oxiam's notifications directory) and
trades it with sts:GetDelegatedAccessToken for credentials that can do what was delegated and
nothing else. Plus who may call what, expiry, single use and bad input."""
import json
import os
import urllib.request

import boto3
import botocore.exceptions
import pytest

from conftest import ACCOUNT, Oxiam
from test_simulator import doc, raises
from test_sts import user as user_client

PARTNER = "210987654321"
STRANGER = "333344445555"
TOPIC = f"arn:aws:sns:us-east-1:{PARTNER}:partner-updates"

# The partner's template, a managed policy of its account (so a valid policy itself): the
# actions are fixed, the parameters fill in resources: {{UserName}} a string inside an ARN,
# {{Regions}} a stringList standing for a whole condition value.
TEMPLATE = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUserTags"],
         "Resource": "arn:aws:iam::*:user/{{UserName}}"},
        {"Effect": "Allow", "Action": "iam:ListGroups", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "{{Regions}}"}}},
    ],
}


@pytest.fixture
def dev():
    # --persist: the data directory holds the notifications the partner reads.
    server = Oxiam(["--dev", "--persist"])
    yield server
    server.stop()


def set_clock(server, seconds):
    """Sets the dev-mode STS clock's offset (test_sts.advance_clock adds to it)."""
    req = urllib.request.Request(f"{server.endpoint}/_oxiam/clock?offset={seconds}", method="POST")
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())


def template_arn(partner_iam, name="readers"):
    arn = partner_iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(TEMPLATE))
    return arn["Policy"]["Arn"]


def create(partner_iam, arn, workflow, owner=ACCOUNT, **extra):
    params = dict(
        Description="Read one user for troubleshooting",
        Permissions={"PolicyTemplateArn": arn, "Parameters": [
            {"Name": "UserName", "Values": ["alice"], "Type": "string"},
            {"Name": "Regions", "Type": "stringList", "Values": ["us-east-1", "eu-west-1"]},
        ]},
        RequestorWorkflowId=workflow, NotificationChannel=TOPIC, SessionDuration=900, **extra)
    if owner:
        params["OwnerAccountId"] = owner
    return partner_iam.create_delegation_request(**params)["DelegationRequestId"]


def notifications(server):
    path = os.path.join(server.data.name, "notifications", TOPIC.replace(":", "_") + ".jsonl")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    with open(path) as f:
        return [json.loads(line) for line in f]


def token_of(server, request_id):
    for n in notifications(server):
        assert n["Type"] == "Notification" and n["TopicArn"] == TOPIC
        message = json.loads(n["Message"])
        if message["delegationRequestId"] == request_id:
            assert message["state"] == "FINALIZED"
            return message["tradeInToken"]
    raise AssertionError(f"no token for {request_id}")


ADMIN_POLICY = doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})


def test_full_flow_partner_to_customer_to_scoped_credentials(dev):
    iam = dev.client("iam")
    partner_iam = dev.client("iam", PARTNER, "p" * 40)
    partner_sts = dev.client("sts", PARTNER, "p" * 40)
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName="bob")
    iam.create_group(GroupName="ops")
    ak, sk = user_client(dev, iam, "admin", ADMIN_POLICY)
    admin = dev.client("iam", ak, sk)
    admin_arn = f"arn:aws:iam::{ACCOUNT}:user/admin"

    arn = template_arn(partner_iam)
    rid = create(partner_iam, arn, "ticket-1001", RequestMessage="Ticket 1001: user alice",
                 RedirectUrl="https://partner.example.com/return")
    assert len(rid) >= 16

    got = admin.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert got["State"] == "UNASSIGNED"
    assert got["RequestorId"] == PARTNER and got["OwnerAccountId"] == ACCOUNT
    assert got["SessionDuration"] == 900 and got["OnlySendByOwner"] is False
    assert got["RequestMessage"] == "Ticket 1001: user alice"
    assert got["RedirectUrl"] == "https://partner.example.com/return"
    assert got["Permissions"]["PolicyTemplateArn"] == arn
    assert got["Permissions"]["Parameters"] == [
        {"Name": "UserName", "Values": ["alice"], "Type": "string"},
        {"Name": "Regions", "Values": ["us-east-1", "eu-west-1"], "Type": "stringList"}]
    # The customer reviews the template with the parameters filled in.
    assert json.loads(got["PermissionPolicy"])["Statement"] == [
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUserTags"],
         "Resource": "arn:aws:iam::*:user/alice"},
        {"Effect": "Allow", "Action": "iam:ListGroups", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}]
    assert "OwnerId" not in got and "ApproverId" not in got

    admin.associate_delegation_request(DelegationRequestId=rid)
    got = admin.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert got["State"] == "ASSIGNED" and got["OwnerId"] == admin_arn
    admin.update_delegation_request(DelegationRequestId=rid, Notes="please approve")
    got = admin.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert got["State"] == "PENDING_APPROVAL" and got["Notes"] == "please approve"
    # The partner sees its request but cannot act for the customer.
    msg = raises("AccessDenied", partner_iam.accept_delegation_request, DelegationRequestId=rid)
    assert "only the account that owns the delegation request" in msg
    admin.accept_delegation_request(DelegationRequestId=rid)
    got = partner_iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert got["State"] == "ACCEPTED" and got["ApproverId"] == admin_arn
    admin.send_delegation_token(DelegationRequestId=rid)
    got = admin.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert got["State"] == "FINALIZED"

    token = token_of(dev, rid)
    assert token.startswith(rid + ".")
    # Nobody but the partner that made the request can trade its token (and trying does not
    # use it up).
    stranger_sts = dev.client("sts", STRANGER, "s" * 40)
    raises("ExpiredTradeInTokenException", stranger_sts.get_delegated_access_token,
           TradeInToken=token)
    raises("ExpiredTradeInTokenException", partner_sts.get_delegated_access_token,
           TradeInToken=token[:-1] + ("A" if token[-1] != "A" else "B"))

    out = partner_sts.get_delegated_access_token(TradeInToken=token)
    assert out["AssumedPrincipal"] == admin_arn
    assert "PackedPolicySize" not in out
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    # Single use.
    msg = raises("ExpiredTradeInTokenException", partner_sts.get_delegated_access_token,
                 TradeInToken=token)
    assert msg.startswith("The trade-in token provided in the request has expired")

    delegated = dev.client("iam", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    who = dev.client("sts", c["AccessKeyId"], c["SecretAccessKey"],
                     c["SessionToken"]).get_caller_identity()
    assert who["Account"] == ACCOUNT and who["Arn"] == admin_arn
    # What was delegated works...
    assert delegated.get_user(UserName="alice")["User"]["UserName"] == "alice"
    assert delegated.list_user_tags(UserName="alice")["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert [g["GroupName"] for g in delegated.list_groups()["Groups"]] == ["ops"]
    # ... and nothing else, although the approver may do everything.
    msg = raises("AccessDenied", delegated.get_user, UserName="bob")
    assert "iam:GetUser" in msg and "user bob" in msg
    elsewhere = boto3.client("iam", endpoint_url=dev.endpoint, region_name="ap-south-1",
                             aws_access_key_id=c["AccessKeyId"],
                             aws_secret_access_key=c["SecretAccessKey"],
                             aws_session_token=c["SessionToken"])
    raises("AccessDenied", elsewhere.list_groups)
    raises("AccessDenied", delegated.get_group, GroupName="ops")
    raises("AccessDenied", delegated.list_users)
    raises("AccessDenied", delegated.delete_user, UserName="alice")
    assert admin.list_users()["Users"]

    # Both sides list the request; OwnerId filters.
    mine = admin.list_delegation_requests()["DelegationRequests"]
    assert [d["DelegationRequestId"] for d in mine] == [rid]
    assert partner_iam.list_delegation_requests(OwnerId=admin_arn)["DelegationRequests"][0][
        "State"] == "FINALIZED"
    assert partner_iam.list_delegation_requests(
        OwnerId=f"arn:aws:iam::{ACCOUNT}:user/ghost")["DelegationRequests"] == []
    assert dev.client("iam", STRANGER, "s" * 40).list_delegation_requests()[
        "DelegationRequests"] == []


def test_the_approver_limits_the_credentials_too(dev):
    iam = dev.client("iam")
    partner_iam = dev.client("iam", PARTNER, "p" * 40)
    iam.create_user(UserName="alice")
    # carol may manage delegation requests and read alice, but not list alice's tags.
    ak, sk = user_client(dev, iam, "carol", doc(
        {"Effect": "Allow", "Action": ["iam:*DelegationRequest*", "iam:SendDelegationToken",
                                       "iam:GetUser"], "Resource": "*"}))
    carol = dev.client("iam", ak, sk)
    rid = create(partner_iam, template_arn(partner_iam), "w-approver")
    carol.associate_delegation_request(DelegationRequestId=rid)
    carol.accept_delegation_request(DelegationRequestId=rid)
    carol.send_delegation_token(DelegationRequestId=rid)
    c = dev.client("sts", PARTNER, "p" * 40).get_delegated_access_token(
        TradeInToken=token_of(dev, rid))["Credentials"]
    delegated = dev.client("iam", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    delegated.get_user(UserName="alice")
    raises("AccessDenied", delegated.list_user_tags, UserName="alice")


def test_denials_who_may_call_what(dev):
    iam = dev.client("iam")
    partner_iam = dev.client("iam", PARTNER, "p" * 40)
    ak, sk = user_client(dev, iam, "nobody")
    nobody = dev.client("iam", ak, sk)
    rid = create(partner_iam, template_arn(partner_iam), "w-denials")
    resource = f"arn:aws:iam::{ACCOUNT}:delegation-request/{rid}"
    for op in ("get_delegation_request", "associate_delegation_request",
               "accept_delegation_request", "send_delegation_token"):
        msg = raises("AccessDenied", getattr(nobody, op), DelegationRequestId=rid)
        action = "".join(w.capitalize() for w in op.split("_"))
        assert msg == (f"User: arn:aws:iam::{ACCOUNT}:user/nobody is not authorized to perform: "
                       f"iam:{action} on resource: {resource} because no identity-based policy "
                       f"allows the iam:{action} action")
    raises("AccessDenied", nobody.list_delegation_requests)
    # A policy scoped to this request's ARN is enough to read it.
    iam.put_user_policy(UserName="nobody", PolicyName="read", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:GetDelegationRequest", "Resource": resource}))
    assert nobody.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"][
        "State"] == "UNASSIGNED"
    # A request targeted to one account is invisible to every other (but its partner).
    stranger = dev.client("iam", STRANGER, "s" * 40)
    raises("NoSuchEntity", stranger.get_delegation_request, DelegationRequestId=rid)
    raises("NoSuchEntity", stranger.associate_delegation_request, DelegationRequestId=rid)
    # Without an owner account, any account may claim it, and then it is theirs.
    open_rid = create(partner_iam, template_arn(partner_iam, "open"), "w-open", owner=None)
    stranger.associate_delegation_request(DelegationRequestId=open_rid)
    got = stranger.get_delegation_request(DelegationRequestId=open_rid)["DelegationRequest"]
    assert got["OwnerAccountId"] == STRANGER and got["OwnerId"] == f"arn:aws:iam::{STRANGER}:root"
    raises("NoSuchEntity", iam.get_delegation_request, DelegationRequestId=open_rid)
    # The partner cannot trade a token for a request no one sent.
    raises("ExpiredTradeInTokenException",
           dev.client("sts", PARTNER, "p" * 40).get_delegated_access_token,
           TradeInToken=f"{rid}.{'x' * 40}")


def test_only_send_by_owner(dev):
    iam = dev.client("iam")
    partner_iam = dev.client("iam", PARTNER, "p" * 40)
    ak, sk = user_client(dev, iam, "dev1", ADMIN_POLICY)
    dev1 = dev.client("iam", ak, sk)
    rid = create(partner_iam, template_arn(partner_iam), "w-owner", OnlySendByOwner=True)
    dev1.associate_delegation_request(DelegationRequestId=rid)
    # The root approves; only dev1, the owner, may release the token.
    iam.accept_delegation_request(DelegationRequestId=rid)
    msg = raises("AccessDenied", iam.send_delegation_token, DelegationRequestId=rid)
    assert "only the owner of the delegation request may send its token" in msg
    dev1.send_delegation_token(DelegationRequestId=rid)
    out = dev.client("sts", PARTNER, "p" * 40).get_delegated_access_token(
        TradeInToken=token_of(dev, rid))
    assert out["AssumedPrincipal"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_states_reject_and_expiry(dev):
    iam = dev.client("iam")
    partner_iam = dev.client("iam", PARTNER, "p" * 40)
    partner_sts = dev.client("sts", PARTNER, "p" * 40)
    arn = template_arn(partner_iam)
    rid = create(partner_iam, arn, "w-states")
    raises("InvalidInput", iam.accept_delegation_request, DelegationRequestId=rid)
    iam.associate_delegation_request(DelegationRequestId=rid)
    msg = raises("InvalidInput", iam.associate_delegation_request, DelegationRequestId=rid)
    assert msg == f"Delegation request {rid} is ASSIGNED and cannot be associated."
    raises("InvalidInput", iam.send_delegation_token, DelegationRequestId=rid)
    iam.accept_delegation_request(DelegationRequestId=rid)
    iam.reject_delegation_request(DelegationRequestId=rid, Notes="changed my mind")
    got = iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert got["State"] == "REJECTED" and got["RejectionReason"] == "changed my mind"
    raises("InvalidInput", iam.send_delegation_token, DelegationRequestId=rid)
    raises("InvalidInput", iam.update_delegation_request, DelegationRequestId=rid, Notes="x")

    # A finalized request's token is good for SessionDuration; the credentials end with it.
    rid = create(partner_iam, arn, "w-expiry")
    iam.associate_delegation_request(DelegationRequestId=rid)
    iam.accept_delegation_request(DelegationRequestId=rid)
    iam.send_delegation_token(DelegationRequestId=rid)
    got = iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    raises("InvalidInput", iam.reject_delegation_request, DelegationRequestId=rid)
    token = token_of(dev, rid)
    set_clock(dev, 901)
    try:
        raises("ExpiredTradeInTokenException", partner_sts.get_delegated_access_token,
               TradeInToken=token)
    finally:
        set_clock(dev, 0)
    rid = create(partner_iam, arn, "w-expiry-2")
    iam.associate_delegation_request(DelegationRequestId=rid)
    iam.accept_delegation_request(DelegationRequestId=rid)
    iam.send_delegation_token(DelegationRequestId=rid)
    got = iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    c = partner_sts.get_delegated_access_token(TradeInToken=token_of(dev, rid))["Credentials"]
    assert c["Expiration"] <= got["ExpirationTime"]


def test_bad_input(dev):
    partner_iam = dev.client("iam", PARTNER, "p" * 40)
    arn = template_arn(partner_iam)
    create(partner_iam, arn, "w-dup")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create(partner_iam, arn, "w-dup")
    assert e.value.response["Error"]["Code"] == "EntityAlreadyExists"
    msg = e.value.response["Error"]["Message"]
    assert "w-dup" in msg
    base = dict(Description="d", RequestorWorkflowId="w-bad", SessionDuration=900,
                NotificationChannel=TOPIC)

    def bad(code, **kw):
        return raises(code, partner_iam.create_delegation_request, **{**base, **kw})

    ok_params = [{"Name": "Regions", "Values": ["us-east-1"], "Type": "stringList"},
                 {"Name": "UserName", "Values": ["alice"], "Type": "string"}]
    msg = bad("InvalidInput", NotificationChannel="https-not-a-topic",
              Permissions={"PolicyTemplateArn": arn, "Parameters": ok_params})
    assert "is not an SNS topic ARN" in msg
    msg = bad("InvalidInput", Permissions={"PolicyTemplateArn": arn,
                                           "Parameters": ok_params[:1]})
    assert "needs parameter UserName" in msg
    msg = bad("InvalidInput", Permissions={"PolicyTemplateArn": arn, "Parameters": [
        ok_params[0], {"Name": "UserName", "Values": ["a", "b"], "Type": "stringList"}]})
    assert "stringList can only stand for a whole value" in msg
    msg = bad("InvalidInput", Permissions={"PolicyTemplateArn": arn, "Parameters": [
        ok_params[0], {"Name": "UserName", "Values": ["a", "b"], "Type": "string"}]})
    assert msg == "Parameter UserName of type string must have exactly one value."
    msg = bad("InvalidInput", Permissions={"PolicyTemplateArn": arn, "Parameters": [
        *ok_params, {"Name": "Unused", "Values": ["x"], "Type": "string"}]})
    assert msg == "Parameter Unused is not used by the policy template."
    # Another account's policy is not this partner's template.
    msg = bad("InvalidInput", Permissions={
        "PolicyTemplateArn": f"arn:aws:iam::{ACCOUNT}:policy/readers", "Parameters": ok_params})
    assert "does not exist or is not available" in msg
    raises("NoSuchEntity", partner_iam.get_delegation_request,
           DelegationRequestId="dr-doesnotexist000000")
    raises("ValidationError", partner_iam.list_delegation_requests, Marker="%%%")


def test_a_narrowed_session_cannot_accept(dev):
    # Credentials that act as the approver but with only the request's policy: letting them
    # accept another request would hand out the approver's permissions beyond that policy.
    iam = dev.client("iam")
    partner_iam = dev.client("iam", PARTNER, "p" * 40)
    partner_sts = dev.client("sts", PARTNER, "p" * 40)
    arn = template_arn(partner_iam, "manage")
    params = [{"Name": "UserName", "Values": ["alice"], "Type": "string"},
              {"Name": "Regions", "Values": ["us-east-1"], "Type": "stringList"}]
    # A template that lets the delegated session manage delegation requests itself.
    partner_iam.create_policy_version(PolicyArn=arn, SetAsDefault=True, PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:*DelegationRequest*"],
         "Resource": "arn:aws:iam::*:user/{{UserName}}"},
        {"Effect": "Allow", "Action": ["iam:*DelegationRequest*"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "{{Regions}}"}}}))
    first = partner_iam.create_delegation_request(
        OwnerAccountId=ACCOUNT, Description="d", RequestorWorkflowId="w-first",
        Permissions={"PolicyTemplateArn": arn, "Parameters": params},
        NotificationChannel=TOPIC, SessionDuration=900)["DelegationRequestId"]
    second = create(partner_iam, template_arn(partner_iam), "w-second")
    iam.associate_delegation_request(DelegationRequestId=first)
    iam.accept_delegation_request(DelegationRequestId=first)
    iam.send_delegation_token(DelegationRequestId=first)
    c = partner_sts.get_delegated_access_token(TradeInToken=token_of(dev, first))["Credentials"]
    delegated = dev.client("iam", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    delegated.associate_delegation_request(DelegationRequestId=second)
    msg = raises("InvalidInput", delegated.accept_delegation_request, DelegationRequestId=second)
    assert "cannot accept a delegation request" in msg


def test_human_readable_summary_says_the_request_in_english(dev):
    """GetHumanReadableSummary: oxiam writes the summary from the request itself (AWS uses a
    language model): who asks, for how long, why, and each permission the policy grants.
    Readable by whoever may read the request, as GetDelegationRequest is; English only."""
    iam = dev.client("iam")
    partner_iam = dev.client("iam", PARTNER, "p" * 40)
    rid = create(partner_iam, template_arn(partner_iam), "ticket-2002",
                 RequestMessage="Ticket 2002: user alice")
    entity = f"arn:aws:iam::{ACCOUNT}:delegation-request/{rid}"
    out = iam.get_human_readable_summary(EntityArn=entity)
    assert (out["SummaryState"], out["Locale"]) == ("AVAILABLE", "en")
    assert out["SummaryContent"] == (
        f"Account {PARTNER} asks for temporary access to account {ACCOUNT} for 15 minutes, to "
        "act as the identity that accepts the request.\n\n"
        "Description: Read one user for troubleshooting\n"
        "Message from the requester: Ticket 2002: user alice\n\n"
        f"Permissions (from policy template arn:aws:iam::{PARTNER}:policy/readers):\n"
        "- Allows iam:GetUser and iam:ListUserTags on arn:aws:iam::*:user/alice.\n"
        "- Allows iam:ListGroups on *, when aws:RequestedRegion StringEquals us-east-1 and "
        "eu-west-1.")
    # The partner reads it too (the requestor always sees its request), in its own account's
    # ARN form; a locale other than English is not supported.
    partner = partner_iam.get_human_readable_summary(
        EntityArn=f"arn:aws:iam::{PARTNER}:delegation-request/{rid}", Locale="fr")
    assert (partner["SummaryState"], partner["Locale"], partner["SummaryContent"]) == (
        "NOT_SUPPORTED", "fr", "")
    assert iam.get_human_readable_summary(EntityArn=entity, Locale="en-GB")["SummaryState"] == \
        "AVAILABLE"
    # Another account cannot see a request targeted at this one; nor can anyone see one that
    # does not exist; an ARN of anything else has no summary.
    stranger = dev.client("iam", STRANGER, "s" * 40)
    raises("NoSuchEntity", stranger.get_human_readable_summary,
           EntityArn=f"arn:aws:iam::{STRANGER}:delegation-request/{rid}")
    raises("NoSuchEntity", iam.get_human_readable_summary,
           EntityArn=f"arn:aws:iam::{ACCOUNT}:delegation-request/dr-{'x' * 26}")
    assert "only delegation requests" in raises(
        "InvalidInput", iam.get_human_readable_summary,
        EntityArn=f"arn:aws:iam::{ACCOUNT}:role/some-role")
    # A user needs iam:GetHumanReadableSummary on the request's ARN.
    ak, sk = user_client(dev, iam, "reader")
    reader = dev.client("iam", ak, sk)
    assert "iam:GetHumanReadableSummary" in raises(
        "AccessDenied", reader.get_human_readable_summary, EntityArn=entity)
    iam.put_user_policy(UserName="reader", PolicyName="summary", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:GetHumanReadableSummary", "Resource": entity}))
    assert reader.get_human_readable_summary(EntityArn=entity)["SummaryState"] == "AVAILABLE"
