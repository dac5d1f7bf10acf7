#!/usr/bin/env python3
"""Writes the per-rule fixtures in this directory: `<code>_pass_<case>.json` must produce no
finding of the rule, `<code>_fail_<case>.json` at least one. Each is a rolecall snapshot (schema 1),
so `rolecall scan --input FILE` runs it too. Rerun after editing; the JSON files are what the tests
read and what review sees.
"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
ACCT = "123456789012"
OTHER = "999988887777"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
TAGS = {"team": "payments", "environment": "prod", "data-sensitivity": "internal"}
BOUNDARY_ARN = f"arn:aws:iam::{ACCT}:policy/lambda-boundary"
GOOD_BOUNDARY = {"arn": BOUNDARY_ARN, "name": "lambda-boundary", "document": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:*", "dynamodb:*", "s3:*", "sqs:*", "secretsmanager:GetSecretValue", "kms:Decrypt", "lambda:InvokeFunction"], "Resource": "*"},
    {"Effect": "Deny", "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"], "Resource": "*"}]}}


def doc(*stmts):
    return {"Version": "2012-10-17", "Statement": list(stmts)}


def allow(action, resource="*", **kw):
    s = {"Effect": "Allow", "Action": action, "Resource": resource}
    s.update(kw)
    return s


def inventory(statements=None, *, role_name="lambda-payments-worker-role", functions=1, boundary=True, trust=None, managed=(),
              role_tags=TAGS, fn_tags=TAGS, last_used="2026-11-20T00:00:00Z", fn_extra=None, scps=None, extra_policies=(),
              extra_roles=(), inline=None, fn_name="payments-worker"):
    role_arn = f"arn:aws:iam::{ACCT}:role/{role_name}"
    inline_policies = inline if inline is not None else ([{"name": "app", "document": doc(*statements)}] if statements else [])
    role = {"arn": role_arn, "name": role_name, "account": ACCT, "path": "/", "trust_policy": trust or TRUST,
            "inline_policies": inline_policies, "managed_policy_arns": list(managed), "tags": role_tags or {},
            "last_used": {"date": last_used, "region": "us-east-1"} if last_used else None, "create_date": "2024-01-01T00:00:00Z"}
    if boundary:
        role["permissions_boundary_arn"] = BOUNDARY_ARN
    role = {k: v for k, v in role.items() if v is not None}
    fns = []
    for i in range(functions):
        name = fn_name if functions == 1 else f"{fn_name}-{i}"
        f = {"arn": f"arn:aws:lambda:us-east-1:{ACCT}:function:{name}", "name": name, "account": ACCT, "region": "us-east-1",
             "runtime": "python3.12", "role_arn": role_arn, "tags": (fn_tags[i] if isinstance(fn_tags, list) else fn_tags) or {}}
        if fn_extra:
            f.update(fn_extra)
        fns.append(f)
    account = {"id": ACCT, "name": "fixture"}
    if scps:
        account["scp_levels"] = [{"target": f"level-{i}", "name": f"level-{i}", "policies": [{"name": f"scp-{i}", "document": d}]} for i, d in enumerate(scps)]
    return {"schema_version": 1, "source": "fixture", "collected_at": "2026-11-30T00:00:00Z", "accounts": [account], "regions": ["us-east-1"],
            "functions": fns, "roles": [role, *extra_roles], "managed_policies": [GOOD_BOUNDARY, *extra_policies], "coverage": []}


LOGS = allow(["logs:CreateLogStream", "logs:PutLogEvents"], f"arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/lambda/payments-worker:*")
TABLE = allow(["dynamodb:GetItem", "dynamodb:PutItem"], f"arn:aws:dynamodb:us-east-1:{ACCT}:table/orders")
CLEAN = inventory([LOGS, TABLE])

F = {}
F["lr101_pass_scoped"] = CLEAN
F["lr101_fail_admin_inline"] = inventory([allow("*")], boundary=False)
F["lr101_fail_admin_managed"] = inventory(None, boundary=False, managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
F["lr101_fail_admin_capped_by_boundary"] = inventory(None, managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
F["lr102_pass_specific_actions"] = CLEAN
F["lr102_fail_s3_star"] = inventory([allow("s3:*")])
F["lr102_pass_service_denied_by_boundary"] = inventory([allow("ec2:*")])
F["lr103_pass_scoped"] = CLEAN
F["lr103_pass_unscopable_only"] = inventory([allow(["s3:ListAllMyBuckets", "xray:PutTraceSegments"])])
F["lr103_fail_put_item_on_star"] = inventory([allow("dynamodb:PutItem")])
F["lr104_pass_plain_allow"] = CLEAN
F["lr104_fail_not_action"] = inventory([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], boundary=False)
F["lr105_pass_plain_allow"] = CLEAN
F["lr105_fail_not_resource"] = inventory([{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::vault/*"}])
F["lr105_pass_not_resource_in_deny"] = inventory([TABLE, {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::mine/*"}])
F["lr106_pass_basic_execution"] = inventory([TABLE], managed=["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"])
F["lr106_fail_dynamodb_full_access"] = inventory(None, managed=["arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"])
# privilege escalation
F["lr201_pass_clean"] = CLEAN
F["lr201_fail_put_role_policy"] = inventory([allow("iam:PutRolePolicy")], boundary=False)
F["lr201_fail_passrole_lambda"] = inventory([allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"])], boundary=False)
LOW_ROLE = {"arn": f"arn:aws:iam::{ACCT}:role/lambda-payments-low-role", "name": "lambda-payments-low-role", "account": ACCT, "path": "/",
            "trust_policy": TRUST, "inline_policies": [{"name": "low", "document": doc(allow("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCT}:table/t"))}],
            "tags": TAGS, "permissions_boundary_arn": BOUNDARY_ARN}
ADMIN_ROLE = {"arn": f"arn:aws:iam::{ACCT}:role/admin", "name": "admin", "account": ACCT, "path": "/", "trust_policy": TRUST,
              "managed_policy_arns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}
PASS_LOW = [allow("iam:PassRole", LOW_ROLE["arn"], Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
            allow(["lambda:CreateFunction", "lambda:InvokeFunction"], f"arn:aws:lambda:us-east-1:{ACCT}:function:canary-*")]
F["lr201_pass_passrole_to_low_privilege_role"] = inventory(PASS_LOW, boundary=False, extra_roles=[LOW_ROLE])
F["lr201_fail_passrole_to_admin_role"] = inventory([allow("iam:PassRole", ADMIN_ROLE["arn"]), allow(["lambda:CreateFunction", "lambda:InvokeFunction"], f"arn:aws:lambda:us-east-1:{ACCT}:function:canary-*")],
                                                    boundary=False, extra_roles=[ADMIN_ROLE])
F["lr201_pass_passed_to_other_service"] = inventory([allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
                                                     allow(["lambda:CreateFunction", "lambda:InvokeFunction"])], boundary=False)
F["lr201_pass_denied_by_scp"] = inventory([allow("iam:PutRolePolicy")], boundary=False,
                                          scps=[doc(allow("*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})])
F["lr202_pass_clean"] = CLEAN
F["lr202_fail_put_bucket_policy"] = inventory([allow("s3:PutBucketPolicy")], boundary=False)
F["lr202_pass_denied_by_boundary"] = inventory([allow("s3:PutBucketPolicy")])
F["lr203_pass_scoped_assume_role"] = inventory([allow("sts:AssumeRole", f"arn:aws:iam::{ACCT}:role/reader")], boundary=False)
F["lr203_fail_assume_any_role"] = inventory([allow("sts:AssumeRole")], boundary=False)
F["lr203_fail_create_access_key"] = inventory([allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCT}:user/*")], boundary=False)
# data exfiltration, and the engine deciding
SECRETS = "secretsmanager:GetSecretValue"
F["lr204_pass_named_secret"] = inventory([allow(SECRETS, f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:db-*")])
F["lr204_fail_secrets_on_star"] = inventory([allow(SECRETS)])
F["lr204_pass_denied_by_explicit_deny"] = inventory([allow(SECRETS), {"Effect": "Deny", "Action": SECRETS, "Resource": "*"}])
F["lr204_pass_denied_by_boundary"] = inventory([allow("ssm:GetParameter")])
F["lr204_pass_denied_by_scp"] = inventory([allow(SECRETS)], scps=[doc(allow("*")), doc(allow("*"), {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*"})])
F["lr204_fail_conditional_source_vpc"] = inventory([allow(SECRETS, Condition={"StringEquals": {"aws:SourceVpc": "vpc-0a1b2c3d"}})])
F["lr204_fail_conditional_requested_region"] = inventory([allow("s3:GetObject", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})])
F["lr204_fail_conditional_s3_prefix"] = inventory([allow("s3:GetObject", Condition={"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}})])
F["lr204_fail_conditional_resource_tag"] = inventory([allow("kms:Decrypt", Condition={"StringEquals": {"aws:ResourceTag/team": "payments"}})])
F["lr205_pass_benign_writes"] = inventory([allow(["logs:CreateLogGroup", "xray:PutTraceSegments", "cloudwatch:PutMetricData"])])
F["lr205_fail_terminate_instances"] = inventory([allow(["ec2:TerminateInstances", "ec2:RunInstances"])], boundary=False)
F["lr206_pass_scoped_pass_role"] = inventory([allow("iam:PassRole", f"arn:aws:iam::{ACCT}:role/one-role")], boundary=False)
F["lr206_fail_pass_any_role"] = inventory([allow("iam:PassRole")], boundary=False)
F["lr206_fail_pass_role_wildcard_pattern"] = inventory([allow("iam:PassRole", "arn:aws:iam::*:role/*")], boundary=False)
# hygiene
F["lr301_pass_own_role"] = CLEAN
F["lr301_fail_two_functions"] = inventory([LOGS, TABLE], functions=2)
F["lr301_fail_three_teams"] = inventory([LOGS, TABLE], functions=3, fn_tags=[dict(TAGS, team=t) for t in ("payments", "growth", "checkout")])
F["lr302_pass_used_role"] = CLEAN
F["lr302_fail_unused_lambda_role"] = inventory([TABLE], functions=0)
F["lr303_pass_recently_used"] = CLEAN
F["lr303_fail_last_used_long_ago"] = inventory([LOGS, TABLE], last_used="2026-01-15T00:00:00Z")
F["lr304_pass_with_boundary"] = CLEAN
F["lr304_fail_without_boundary"] = inventory([LOGS, TABLE], boundary=False)
WEAK = {"arn": f"arn:aws:iam::{ACCT}:policy/weak", "name": "weak", "document": doc(allow("*"))}
IAM_BOUNDARY = {"arn": f"arn:aws:iam::{ACCT}:policy/iam-ok", "name": "iam-ok", "document": doc(allow(["iam:*", "s3:*"]))}
F["lr305_pass_standard_boundary"] = CLEAN
F["lr305_fail_boundary_allows_everything"] = inventory([TABLE], extra_policies=[WEAK])
F["lr305_fail_boundary_allows_iam"] = inventory([TABLE], extra_policies=[IAM_BOUNDARY])
F["lr305_fail_boundary_allows_everything"]["roles"][0]["permissions_boundary_arn"] = WEAK["arn"]
F["lr305_fail_boundary_allows_iam"]["roles"][0]["permissions_boundary_arn"] = IAM_BOUNDARY["arn"]
F["lr306_pass_convention"] = CLEAN
F["lr306_fail_generated_name"] = inventory([LOGS, TABLE], role_name="Stack-WorkerServiceRole1A2B3C-XYZ")
F["lr307_pass_tagged"] = CLEAN
F["lr307_pass_tags_on_role_only"] = inventory([LOGS, TABLE], fn_tags={})
F["lr307_fail_untagged"] = inventory([LOGS, TABLE], fn_tags={}, role_tags={})
# trust
def trust(*stmts):
    return doc(*stmts)
LAMBDA_TRUST = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
F["lr401_pass_lambda_only"] = CLEAN
F["lr401_fail_any_principal"] = inventory([TABLE], trust=trust(LAMBDA_TRUST, {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}))
F["lr401_fail_star_with_org_condition"] = inventory([TABLE], trust=trust(LAMBDA_TRUST, {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}))
F["lr402_pass_same_account"] = inventory([TABLE], trust=trust(LAMBDA_TRUST, {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}))
F["lr402_fail_unknown_account"] = inventory([TABLE], trust=trust(LAMBDA_TRUST, {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "sts:AssumeRole"}))
F["lr403_pass_lambda_only"] = CLEAN
F["lr403_fail_ec2_too"] = inventory([TABLE], trust=trust({"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"}))
# exposure
FN_ARN = f"arn:aws:lambda:us-east-1:{ACCT}:function:payments-worker"
F["lr501_pass_iam_auth_url"] = inventory([LOGS, TABLE], fn_extra={"url": {"auth_type": "AWS_IAM"}})
URL_GRANT = {"Sid": "FunctionURLAllowPublicAccess", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl", "Resource": FN_ARN,
             "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}
URL_INVOKE = {"Sid": "FunctionURLInvokeAllowPublicAccess", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": FN_ARN,
              "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}}
PUBLIC_URL = {"auth_type": "NONE", "url": "https://x.lambda-url.us-east-1.on.aws/"}
F["lr501_fail_public_url"] = inventory([LOGS, TABLE], fn_extra={"url": PUBLIC_URL, "resource_policy": doc(URL_GRANT, URL_INVOKE)})
# Since October 2025 the URL grant alone no longer lets the public invoke the function.
F["lr501_pass_url_grant_only"] = inventory([LOGS, TABLE], fn_extra={"url": PUBLIC_URL, "resource_policy": doc(URL_GRANT)})
F["lr501_pass_no_resource_policy"] = inventory([LOGS, TABLE], fn_extra={"url": PUBLIC_URL})
F["lr502_pass_source_arn"] = inventory([LOGS, TABLE], fn_extra={"resource_policy": doc({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": FN_ARN,
                                                                                            "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}}})})
F["lr502_pass_star_with_source_account"] = inventory([LOGS, TABLE], fn_extra={"resource_policy": doc({"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": FN_ARN,
                                                                                                        "Condition": {"StringEquals": {"AWS:SourceAccount": ACCT}}})})
F["lr502_fail_star"] = inventory([LOGS, TABLE], fn_extra={"resource_policy": doc({"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": FN_ARN})})
F["lr503_pass_same_account"] = inventory([LOGS, TABLE], fn_extra={"resource_policy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:role/caller"}, "Action": "lambda:InvokeFunction", "Resource": FN_ARN})})
F["lr503_fail_other_account"] = inventory([LOGS, TABLE], fn_extra={"resource_policy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "lambda:InvokeFunction", "Resource": FN_ARN})})
# policy problems
F["lr901_pass_known_actions"] = CLEAN
F["lr901_fail_typo"] = inventory([LOGS, allow("s3:GetObjekt", "arn:aws:s3:::exports/*")])
F["lr901_pass_unknown_in_aws_managed"] = inventory([LOGS], managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"])
F["lr902_pass_valid"] = CLEAN
F["lr902_fail_bad_effect"] = inventory(None, inline=[{"name": "ok", "document": doc(LOGS)}, {"name": "hand-edited", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "sns:Publish", "Resource": "*"}]}}])
F["lr902_fail_bad_resource_policy"] = inventory([LOGS, TABLE], fn_extra={"resource_policy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Condition": {"StringEquals": "x"}}]}})

# usage (CloudTrail): the role used exactly its two table actions, or only one of them
def with_usage(inv, actions):
    role = inv["roles"][0]["arn"]
    inv["usage"] = {"sources": ["cloudtrail:fixture"], "window_start": "2026-09-01T00:00:00Z", "window_end": "2026-11-30T00:00:00Z",
                    "roles": {role: {"functions": ["payments-worker"], "actions": {a: {"count": 3} for a in actions}}}}
    return inv
ALL_USED = ["logs:CreateLogStream", "logs:PutLogEvents", "dynamodb:GetItem", "dynamodb:PutItem"]
F["lr601_pass_everything_used"] = with_usage(inventory([LOGS, TABLE]), ALL_USED)
F["lr601_fail_put_item_never_used"] = with_usage(inventory([LOGS, TABLE]), ["logs:CreateLogStream", "logs:PutLogEvents", "dynamodb:GetItem"])
F["lr601_pass_no_usage_data"] = inventory([LOGS, TABLE])
F["lr602_pass_every_service_used"] = with_usage(inventory([LOGS, TABLE]), ALL_USED)
F["lr602_fail_dynamodb_never_called"] = with_usage(inventory([LOGS, TABLE]), ["logs:CreateLogStream", "logs:PutLogEvents"])
# LR701 runs with the approved templates of examples/golden (the tests load them for every fixture).
READ_ORDERS = allow(["dynamodb:GetItem", "dynamodb:Query"], f"arn:aws:dynamodb:us-east-1:{ACCT}:table/orders")
F["lr701_pass_within_templates"] = inventory([LOGS, READ_ORDERS, allow("s3:PutObject", "arn:aws:s3:::exports-bucket/*")])
F["lr701_fail_write_not_approved"] = inventory([LOGS, TABLE])
F["lr701_fail_every_table"] = inventory([LOGS, allow("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCT}:table/*")])

# resource types: a pattern as broad as the action's ARN formats is as unscoped as "*"; one on
# another type grants nothing (issue: privilege escalation, resource types)
F["lr103_fail_put_object_on_every_bucket"] = inventory([allow("s3:PutObject", "arn:aws:s3:::*")], boundary=False)
F["lr202_fail_put_secret_policy_type_wide"] = inventory([allow("secretsmanager:PutResourcePolicy", "arn:aws:secretsmanager:*:*:secret:*")], boundary=False)
F["lr204_fail_secrets_type_wide_pattern"] = inventory([allow(SECRETS, "arn:aws:secretsmanager:*:*:secret:*")])
F["lr205_fail_terminate_every_instance"] = inventory([allow("ec2:TerminateInstances", "arn:aws:ec2:*:*:instance/*")], boundary=False)
F["lr201_pass_ssm_star_on_parameters"] = inventory([allow("ssm:*", f"arn:aws:ssm:us-east-1:{ACCT}:parameter/app/*")], boundary=False)
F["lr201_pass_glue_star_on_one_job"] = inventory([allow("glue:*", f"arn:aws:glue:us-east-1:{ACCT}:job/etl")], boundary=False)
F["lr201_fail_update_function_code_of_admin_function"] = inventory(
    [allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:us-east-1:{ACCT}:function:ops-*")], boundary=False,
    extra_roles=[ADMIN_ROLE], functions=1)
F["lr201_fail_update_function_code_of_admin_function"]["functions"].append(
    {"arn": f"arn:aws:lambda:us-east-1:{ACCT}:function:ops-admin", "name": "ops-admin", "account": ACCT, "region": "us-east-1",
     "runtime": "python3.12", "role_arn": ADMIN_ROLE["arn"], "tags": TAGS})
F["lr201_fail_assume_admin_by_account_root"] = inventory([allow("sts:AssumeRole")], boundary=False, extra_roles=[
    {**ADMIN_ROLE, "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}]}}])
# credentials: cloudsplaining's list and rolecall's cited additions
F["lr203_fail_codeartifact_and_rds_db_on_star"] = inventory([allow(["codeartifact:GetAuthorizationToken", "rds-db:connect"])], boundary=False)
F["lr203_pass_rds_db_connect_one_user"] = inventory([allow("rds-db:connect", f"arn:aws:rds-db:us-east-1:{ACCT}:dbuser:db-ABC/app")], boundary=False)
F["lr203_fail_web_identity_token"] = inventory([allow("sts:GetWebIdentityToken")], boundary=False)
# AWS's own baseline is not the team's breadth (report_aws_baseline = true brings it back)
F["lr103_pass_aws_vpc_execution_role"] = inventory(None, boundary=False, managed=["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"])
F["lr103_pass_cdk_internal_role"] = inventory([allow("dynamodb:PutItem")], boundary=False, role_name="Stack-LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRole-1A2B")
F["lr205_pass_aws_vpc_execution_role"] = inventory(None, boundary=False, managed=["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"])
for old in os.listdir(HERE):
    if old.endswith(".json"):
        os.remove(os.path.join(HERE, old))
for name, inv in F.items():
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(inv, f, indent=1, sort_keys=False)
        f.write("\n")
print(len(F), "fixtures")
