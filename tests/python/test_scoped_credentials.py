"""boto3 against the real oxiam server: STS GetScopedCredentials — a session scoped down keeps
its identity and loses what its scope-down policies leave out, on real IAM calls; recursion
narrows further, up to three layers; the duration never outlives the calling session; long-term
keys are refused; bad input gets AWS's errors; the counts of the response; and the
authorization API other services call enforces the scope-down policies too."""
import json
import math

from conftest import ACCOUNT
from test_authorization import error_code, music  # noqa: F401
from test_sts import (advance_clock, creds_client, dev, doc, raises, role_arn,  # noqa: F401
                      seconds_left, trust, user, user_arn)

SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/worker/job-1"
MAX_TOKEN = 8192


def allow(*actions):
    return {"Effect": "Allow", "Action": list(actions), "Resource": "*"}


def worker_session(server, duration=3600):
    """A session of role `worker` (iam:List*, iam:GetUser, STS), assumed by alice with a
    session tag and a source identity."""
    iam = server.client("iam")
    ak, sk = user(server, iam, "alice", doc(allow("sts:AssumeRole", "sts:TagSession",
                                                  "sts:SetSourceIdentity")))
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust(
        user_arn("alice"), ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]))
    iam.put_role_policy(RoleName="worker", PolicyName="work", PolicyDocument=doc(
        allow("iam:ListUsers", "iam:ListRoles", "iam:GetUser", "iam:ListGroups", "sts:*")))
    out = server.client("sts", ak, sk).assume_role(
        RoleArn=role_arn("worker"), RoleSessionName="job-1", DurationSeconds=duration,
        Tags=[{"Key": "team", "Value": "red"}], SourceIdentity="alice")
    role_id = iam.get_role(RoleName="worker")["Role"]["RoleId"]
    return out["Credentials"], role_id


def scoper(server, creds):
    return creds_client(server, "sts", creds).get_scoped_credentials


def scoped(server, creds, **kw):
    return scoper(server, creds)(**kw)


def denial(action, why, resource="*"):
    return (f"User: {SESSION_ARN} is not authorized to perform: {action} on resource: "
            f"{resource} because {why} allows the {action} action")


USERS = f"arn:aws:iam::{ACCOUNT}:user/"
ROLES = f"arn:aws:iam::{ACCOUNT}:role/"


def test_a_scoped_session_keeps_its_identity_and_loses_what_the_policy_leaves_out(oxiam):
    parent, role_id = worker_session(oxiam)
    out = scoped(oxiam, parent, Policy=doc(
        allow("iam:ListUsers", "iam:GetUser", "iam:CreateUser", "sts:GetScopedCredentials")),
        ScopedSessionDescription="agent run 42")
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and c["AccessKeyId"] != parent["AccessKeyId"]
    assert len(c["SecretAccessKey"]) == 40
    # Same identity: the calling session's ID, ARN and source identity.
    assert out["SessionInfo"] == {"ScopedSessionId": f"{role_id}:job-1", "Arn": SESSION_ARN}
    assert out["SourceIdentity"] == "alice"
    assert out["ScopedPoliciesCount"] == 1
    # Without DurationSeconds the credentials end with the calling session.
    assert c["Expiration"] == parent["Expiration"]
    size = len(c["SessionToken"])
    assert out["SessionTokenSize"] == size
    assert out["SessionTokenUtilization"] == math.ceil(size * 100 / MAX_TOKEN)
    who = creds_client(oxiam, "sts", c).get_caller_identity()
    assert (who["Arn"], who["UserId"], who["Account"]) == (SESSION_ARN, f"{role_id}:job-1",
                                                          ACCOUNT)

    iam = creds_client(oxiam, "iam", c)
    # Both allow: allowed.
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]
    assert iam.get_user(UserName="alice")["User"]["Arn"] == user_arn("alice")
    # The role allows it, the scope-down policy leaves it out: denied, by the session policy.
    assert raises("AccessDenied", iam.list_roles) == denial(
        "iam:ListRoles", "no session policy", ROLES)
    # The scope-down policy allows it, the role does not: still denied (an intersection).
    msg = raises("AccessDenied", iam.create_user, UserName="bob")
    assert msg.endswith("because no identity-based policy allows the iam:CreateUser action")
    # The calling session keeps all of its permissions.
    parent_iam = creds_client(oxiam, "iam", parent)
    assert [r["RoleName"] for r in parent_iam.list_roles()["Roles"]] == ["worker"]
    # The session tags still apply: a condition on them sees the same values.
    oxiam.client("iam").put_role_policy(RoleName="worker", PolicyName="tagged", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "iam:GetUser", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}}))
    raises("AccessDenied", iam.get_user, UserName="alice")
    raises("AccessDenied", parent_iam.get_user, UserName="alice")


def test_recursion_narrows_further_up_to_three_layers(oxiam):
    parent, _ = worker_session(oxiam)
    first = scoped(oxiam, parent, Policy=doc(
        allow("iam:ListUsers", "iam:GetUser", "iam:ListGroups", "sts:GetScopedCredentials")))
    # The second layer names iam:ListRoles, which the first left out: it stays denied.
    second = scoped(oxiam, first["Credentials"], Policy=doc(
        allow("iam:GetUser", "iam:ListRoles", "iam:ListGroups", "sts:GetScopedCredentials")))
    assert second["ScopedPoliciesCount"] == 2
    assert second["SessionInfo"]["Arn"] == SESSION_ARN
    iam = creds_client(oxiam, "iam", second["Credentials"])
    assert iam.get_user(UserName="alice")["User"]["UserName"] == "alice"
    assert iam.list_groups()["Groups"] == []
    assert raises("AccessDenied", iam.list_users) == denial("iam:ListUsers", "no session policy", USERS)
    assert raises("AccessDenied", iam.list_roles) == denial("iam:ListRoles", "no session policy", ROLES)
    # The first scoped credentials are not narrowed by the second call.
    assert creds_client(oxiam, "iam", first["Credentials"]).list_users()["Users"]
    # A third layer; then a fourth policy is denied, but a call that only shortens the life
    # adds no layer and is allowed.
    third = scoped(oxiam, second["Credentials"], Policy=doc(
        allow("iam:GetUser", "sts:GetScopedCredentials")))
    assert third["ScopedPoliciesCount"] == 3
    raises("AccessDenied", creds_client(oxiam, "iam", third["Credentials"]).list_groups)
    msg = raises("AccessDenied", scoper(oxiam, third["Credentials"]),
                 Policy=doc(allow("iam:GetUser")))
    assert "maximum of 3 scope down policies" in msg
    shorter = scoped(oxiam, third["Credentials"], DurationSeconds=600)
    assert shorter["ScopedPoliciesCount"] == 3
    assert 540 < seconds_left(shorter["Credentials"]) <= 601
    assert creds_client(oxiam, "iam", shorter["Credentials"]).get_user(UserName="alice")
    # Calling GetScopedCredentials again needs sts:GetScopedCredentials from the scope-down
    # policies too.
    narrow = scoped(oxiam, parent, Policy=doc(allow("iam:ListUsers")))
    msg = raises("AccessDenied", scoper(oxiam, narrow["Credentials"]), DurationSeconds=60)
    assert msg == denial("sts:GetScopedCredentials", "no session policy")
    # An explicit deny in a scope-down policy wins over every allow.
    denying = scoped(oxiam, parent, Policy=doc(
        allow("iam:*"), {"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}))
    msg = raises("AccessDenied", creds_client(oxiam, "iam", denying["Credentials"]).list_users)
    assert msg.endswith("with an explicit deny in a session policy")


def test_scoped_sessions_and_other_sts_calls(oxiam):
    parent, _ = worker_session(oxiam)
    iam = oxiam.client("iam")
    # The calling session's source identity passes on: the trust policy allows setting it.
    iam.create_role(RoleName="next", AssumeRolePolicyDocument=trust(
        role_arn("worker"), ["sts:AssumeRole", "sts:SetSourceIdentity"]))
    iam.put_role_policy(RoleName="next", PolicyName="p", PolicyDocument=doc(allow("iam:ListRoles")))
    # Role chaining: the scope-down policy must allow sts:AssumeRole.
    no_chain = scoped(oxiam, parent, Policy=doc(allow("iam:ListUsers")))
    msg = raises("AccessDenied", creds_client(oxiam, "sts", no_chain["Credentials"]).assume_role,
                 RoleArn=role_arn("next"), RoleSessionName="next-1")
    assert msg == (f"User: {SESSION_ARN} is not authorized to perform: sts:AssumeRole on "
                   f"resource: {role_arn('next')}")
    chain = scoped(oxiam, parent, Policy=doc(allow("sts:AssumeRole", "sts:SetSourceIdentity")))
    out = creds_client(oxiam, "sts", chain["Credentials"]).assume_role(
        RoleArn=role_arn("next"), RoleSessionName="next-1")
    # The new role session is the next role's own: the scope-down policies stay behind.
    assert creds_client(oxiam, "iam", out["Credentials"]).list_roles()["Roles"]
    # GetSessionToken and GetFederationToken: never with session credentials.
    sts = creds_client(oxiam, "sts", chain["Credentials"])
    assert raises("AccessDenied", sts.get_session_token) == \
        "Cannot call GetSessionToken with session credentials"
    raises("AccessDenied", sts.get_federation_token, Name="partner")


def test_duration_never_outlives_the_calling_session(dev):
    parent, _ = worker_session(dev, duration=900)
    short = scoped(dev, parent, DurationSeconds=300)
    assert short["ScopedPoliciesCount"] == 0
    assert 240 < seconds_left(short["Credentials"]) <= 301
    # Without a policy the permissions are the calling session's.
    assert creds_client(dev, "iam", short["Credentials"]).list_roles()["Roles"]
    msg = raises("InsufficientSessionLifetime", scoper(dev, parent), DurationSeconds=1000)
    assert "remaining lifetime of the calling session" in msg
    raises("InsufficientSessionLifetime", scoper(dev, parent), DurationSeconds=129600,
           Policy=doc(allow("iam:ListUsers")))
    # The scoped credentials expire on their own; the calling session goes on.
    advance_clock(dev, 301)
    raises("ExpiredToken", creds_client(dev, "sts", short["Credentials"]).get_caller_identity)
    assert creds_client(dev, "sts", parent).get_caller_identity()["Arn"] == SESSION_ARN
    # Nor can a scoped session outlive the session it came from by inheriting.
    inherited = scoped(dev, parent, Policy=doc(allow("sts:GetCallerIdentity")))
    assert inherited["Credentials"]["Expiration"] == parent["Expiration"]
    advance_clock(dev, 600)
    raises("ExpiredToken", creds_client(dev, "sts", inherited["Credentials"]).get_caller_identity)


def test_long_term_keys_are_refused_and_other_sessions_may_scope_down(oxiam):
    msg = raises("InvalidSubjectCredentials", oxiam.client("sts").get_scoped_credentials,
                 DurationSeconds=900)
    assert "temporary security credentials" in msg
    iam = oxiam.client("iam")
    ak, sk = user(oxiam, iam, "alice", doc(allow("sts:*")))
    raises("InvalidSubjectCredentials", oxiam.client("sts", ak, sk).get_scoped_credentials,
           DurationSeconds=900)
    # A user without a policy for it is denied first.
    bk, bs = user(oxiam, iam, "bob")
    msg = raises("AccessDenied", oxiam.client("sts", bk, bs).get_scoped_credentials,
                 DurationSeconds=900)
    assert msg == (f"User: {user_arn('bob')} is not authorized to perform: "
                   "sts:GetScopedCredentials on resource: * because no identity-based policy "
                   "allows the sts:GetScopedCredentials action")
    # An IAM user scopes down through GetSessionToken.
    c = oxiam.client("sts", ak, sk).get_session_token(DurationSeconds=900)["Credentials"]
    out = scoped(oxiam, c, Policy=doc(allow("sts:GetCallerIdentity")))
    assert out["SessionInfo"]["Arn"] == user_arn("alice")
    assert "SourceIdentity" not in out
    who = creds_client(oxiam, "sts", out["Credentials"]).get_caller_identity()
    assert who["Arn"] == user_arn("alice")
    # A federated user's session may too.
    fed = oxiam.client("sts", ak, sk).get_federation_token(
        Name="carol", Policy=doc(allow("sts:GetScopedCredentials")))["Credentials"]
    out = scoped(oxiam, fed, DurationSeconds=60)
    assert out["SessionInfo"] == {"ScopedSessionId": f"{ACCOUNT}:carol",
                                  "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/carol"}


def test_bad_input_and_token_size(oxiam):
    parent, _ = worker_session(oxiam)
    msg = raises("ValidationError", scoper(oxiam, parent))
    assert "at least one of Policy or DurationSeconds" in msg
    raises("MalformedPolicyDocument", scoper(oxiam, parent), Policy="{")
    raises("MalformedPolicyDocument", scoper(oxiam, parent),
           Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}))
    raises("ValidationError", scoper(oxiam, parent),
           Policy=doc(allow("iam:ListUsers")) + " " * 2048)
    # MinimumSessionTokenSize pads the token; it still works.
    big = scoped(oxiam, parent, DurationSeconds=600, MinimumSessionTokenSize=4096)
    token = big["Credentials"]["SessionToken"]
    assert len(token) >= 4096 and big["SessionTokenSize"] == len(token)
    assert big["SessionTokenUtilization"] == math.ceil(len(token) * 100 / MAX_TOKEN)
    assert creds_client(oxiam, "sts", big["Credentials"]).get_caller_identity()["Arn"] == \
        SESSION_ARN
    small = scoped(oxiam, parent, DurationSeconds=600, MinimumSessionTokenSize=0)
    assert len(small["Credentials"]["SessionToken"]) < 4096
    # Three full layers do not fit in a session token: two do, the third is refused.
    layer = doc({"Sid": "x" * 1900, **allow("sts:GetScopedCredentials")})
    two = scoped(oxiam, scoped(oxiam, parent, Policy=layer)["Credentials"], Policy=layer)
    assert two["ScopedPoliciesCount"] == 2 and two["SessionTokenUtilization"] > 70
    msg = raises("PackedPolicyTooLarge", scoper(oxiam, two["Credentials"]), Policy=layer)
    assert msg.endswith(f"the maximum allowed size of {MAX_TOKEN} bytes.")


def test_the_authorization_api_enforces_the_scope_down_policies(music):  # noqa: F811
    """Another service's decisions (the guard in front of the music-files example) see the
    scope-down policies too: the scoped credentials read one file, the session all of them."""
    for name in ("a", "b"):
        music.call("holly", "PUT", f"/files/audio/holly/{name}.mp3", name.encode())
    music.oxiam.client("iam").put_role_policy(
        RoleName="listener", PolicyName="scope",
        PolicyDocument=doc(allow("sts:GetScopedCredentials")))
    c = music.oxiam.client("sts", *music.creds["emma"]).assume_role(
        RoleArn=role_arn("listener"), RoleSessionName="player-2")["Credentials"]
    out = scoped(music.oxiam, c, Policy=doc(
        {"Effect": "Allow", "Action": "myapp:GetFile",
         "Resource": "arn:aws:myapp:::file/audio/holly/a.mp3"}))
    s = out["Credentials"]
    narrow = (s["AccessKeyId"], s["SecretAccessKey"], s["SessionToken"])
    wide = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    status, headers, body = music.call(narrow, "GET", "/files/audio/holly/a.mp3")
    assert (status, body) == (200, b"a")
    assert headers["X-Served-For"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/listener/player-2"
    status, _, body = music.call(narrow, "GET", "/files/audio/holly/b.mp3")
    assert status == 403 and error_code(body) == "AccessDenied"
    assert "because no session policy allows the myapp:GetFile action" in body.decode()
    status, _, body = music.call(wide, "GET", "/files/audio/holly/b.mp3")
    assert (status, body) == (200, b"b")
