#!/usr/bin/env python3
"""Seeds a moto server with an Organization for rolecall's collector tests.

    moto_seed.py ENDPOINT [--functions N]    # prints what it created, as JSON

- management account (moto's default, 123456789012) with the Organization, an OU `prod`, an SCP on
  it, and an IAM user `auditor` whose access key the collector uses;
- member `workloads`: OrganizationAccountAccessRole trusting the auditor; functions in us-east-1
  and eu-west-1; a role shared by three functions; a function URL with AuthType NONE; a resource
  policy with Principal "*"; an SQS event source mapping; an API Gateway REST integration; tags;
- member `broken`: its OrganizationAccountAccessRole trusts another account only, so the
  auditor cannot assume it (moto does not enforce trust policies; the tests put deny_proxy.py in
  front of moto to refuse that AssumeRole as AWS would).

With `--functions N`, the management account instead gets N functions in each of three regions and
no members (the collector's call-count benchmark).

With `--org-bench ACCOUNTS FUNCTIONS`, an Organization of ACCOUNTS member accounts, each with one
execution role and FUNCTIONS functions in us-east-1, and the auditor (the Organization benchmark).
"""
import io, json, sys, time, urllib.request, zipfile

import boto3

ENDPOINT = sys.argv[1]
N = int(sys.argv[sys.argv.index("--functions") + 1]) if "--functions" in sys.argv else 0
MGMT = "123456789012"


def client(service, region="us-east-1", creds=None):
    kw = dict(region_name=region, endpoint_url=ENDPOINT)
    if creds:
        kw.update(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    else:
        kw.update(aws_access_key_id="testing", aws_secret_access_key="testing")
    return boto3.client(service, **kw)


def post(path, body=b""):
    req = urllib.request.Request(ENDPOINT + path, data=body, method="POST", headers={"Content-Type": "text/plain"})
    # A reset reloads the AWS managed policies of every account moto has seen (about 7 s on an idle
    # 2-core machine, far more on a loaded runner): a generous timeout, never a test of speed.
    urllib.request.urlopen(req, timeout=300).read()


def code_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return 'ok'\n")
    return buf.getvalue()


LAMBDA_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ZIP = code_zip()


def make_role(iam, name, policy, boundary=None, tags=None):
    kw = dict(RoleName=name, AssumeRolePolicyDocument=LAMBDA_TRUST)
    if boundary:
        kw["PermissionsBoundary"] = boundary
    if tags:
        kw["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    arn = iam.create_role(**kw)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="app", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": policy}))
    return arn


def make_function(lam, name, role, tags):
    return lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler", Code={"ZipFile": ZIP}, Tags=tags)["FunctionArn"]


def bench():
    out = {"management": MGMT, "functions": 0}
    iam = client("iam")
    role = make_role(iam, "lambda-bench-fn-role", [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}])
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
        lam = client("lambda", region)
        for i in range(N):
            make_function(lam, f"bench-{i:04d}", role, {"team": "bench"})
            out["functions"] += 1
    print(json.dumps(out))


def org_bench(accounts, functions):
    orgs = client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    iam = client("iam")
    iam.create_user(UserName="auditor")
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    created = 0
    for a in range(accounts):
        status = orgs.create_account(Email=f"bench{a}@example.com", AccountName=f"bench-{a:03d}")["CreateAccountStatus"]
        while status["State"] == "IN_PROGRESS":
            time.sleep(0.05)
            status = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
        acct = status["AccountId"]
        creds = client("sts").assume_role(RoleArn=f"arn:aws:iam::{acct}:role/OrganizationAccountAccessRole", RoleSessionName="seed")["Credentials"]
        role = make_role(client("iam", creds=creds), "lambda-bench-role", [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}])
        lam = client("lambda", "us-east-1", creds)
        for i in range(functions):
            make_function(lam, f"fn-{i:04d}", role, {"team": f"team-{a % 20}"})
            created += 1
    print(json.dumps({"management": MGMT, "accounts": accounts, "functions": created,
                      "access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))


def main():
    post("/moto-api/reset")
    if "--org-bench" in sys.argv:
        i = sys.argv.index("--org-bench")
        return org_bench(int(sys.argv[i + 1]), int(sys.argv[i + 2]))
    if N:
        return bench()
    orgs = client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    prod = orgs.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]

    def new_account(name):
        status = orgs.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        while status["State"] == "IN_PROGRESS":
            time.sleep(0.1)
            status = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
        return status["AccountId"]

    workloads = new_account("workloads")
    broken = new_account("broken")
    orgs.move_account(AccountId=workloads, SourceParentId=root, DestinationParentId=prod)
    scp = orgs.create_policy(
        Name="prod-guardrails", Description="deny leaving", Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "NoLeaving", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}),
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=scp, TargetId=prod)
    # A resource control policy on the prod OU: outsiders may not read the accounts' S3 objects.
    orgs.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
    rcp = orgs.create_policy(
        Name="prod-data-perimeter", Description="org-only S3", Type="RESOURCE_CONTROL_POLICY",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-example"}}}]}),
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=rcp, TargetId=prod)

    iam = client("iam")
    iam.create_user(UserName="auditor")
    iam.put_user_policy(UserName="auditor", PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    auditor_arn = f"arn:aws:iam::{MGMT}:user/auditor"

    def member_creds(account):
        sts = client("sts")
        return sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed")["Credentials"]

    # workloads: everything the collector must find
    wc = member_creds(workloads)
    wiam = client("iam", creds=wc)
    # moto creates OrganizationAccountAccessRole in new accounts, as AWS does; set its trust.
    wiam.update_assume_role_policy(RoleName="OrganizationAccountAccessRole",
                                   PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": auditor_arn}, "Action": "sts:AssumeRole"}]}))
    wiam.put_role_policy(RoleName="OrganizationAccountAccessRole", PolicyName="admin",
                         PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    boundary = wiam.create_policy(PolicyName="lambda-boundary", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "sqs:*", "logs:*"], "Resource": "*"}]}))["Policy"]["Arn"]
    shared = make_role(wiam, "shared-worker-role", [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}], tags={"team": "platform"})
    public = make_role(wiam, "lambda-web-public-api-role", [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}], boundary=boundary)
    wiam.attach_role_policy(RoleName="lambda-web-public-api-role", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    fns = {}
    lam_us, lam_eu = client("lambda", "us-east-1", wc), client("lambda", "eu-west-1", wc)
    fns["worker-a"] = make_function(lam_us, "worker-a", shared, {"team": "payments"})
    fns["worker-b"] = make_function(lam_us, "worker-b", shared, {"team": "growth"})
    fns["worker-c"] = make_function(lam_eu, "worker-c", shared, {"team": "payments"})
    fns["public-api"] = make_function(lam_us, "public-api", public, {"team": "web", "data-sensitivity": "confidential"})
    fns["open-invoke"] = make_function(lam_eu, "open-invoke", public, {"team": "web"})
    lam_us.create_function_url_config(FunctionName="public-api", AuthType="NONE")
    # What a public URL needs since October 2025: the URL grant and the invocation through it.
    lam_us.add_permission(FunctionName="public-api", StatementId="FunctionURLAllowPublicAccess", Action="lambda:InvokeFunctionUrl",
                          Principal="*", FunctionUrlAuthType="NONE")
    lam_us.add_permission(FunctionName="public-api", StatementId="FunctionURLInvokeAllowPublicAccess", Action="lambda:InvokeFunction",
                          Principal="*", InvokedViaFunctionUrl=True)
    lam_eu.add_permission(FunctionName="open-invoke", StatementId="AnyoneMayInvoke", Action="lambda:InvokeFunction", Principal="*")
    sqs = client("sqs", "us-east-1", wc)
    queue_url = sqs.create_queue(QueueName="work")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam_us.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="worker-a", BatchSize=10)
    apigw = client("apigateway", "us-east-1", wc)
    api = apigw.create_rest_api(name="public")["id"]
    root_res = [r for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root_res, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root_res, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
                          uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fns['public-api']}/invocations")

    # broken: its access role trusts someone else
    bc = member_creds(broken)
    client("iam", creds=bc).update_assume_role_policy(RoleName="OrganizationAccountAccessRole",
                                                      PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}]}))
    print(json.dumps({"management": MGMT, "workloads": workloads, "broken": broken, "prod_ou": prod, "scp": scp, "root": root,
                      "access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"], "functions": fns,
                      "queue_arn": queue_arn, "rest_api": api}))


if __name__ == "__main__":
    main()
