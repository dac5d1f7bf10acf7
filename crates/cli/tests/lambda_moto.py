#!/usr/bin/env python3
"""Helper for the event-handler test against moto (crates/cli/tests/lambda_moto.rs).

    lambda_moto.py ENDPOINT setup     # roles, a policy, a function, SNS topic with an SQS subscriber, Security Hub on
    lambda_moto.py ENDPOINT fix       # the deployer role's inline policy narrowed
    lambda_moto.py ENDPOINT check     # SQS messages and Security Hub findings; prints JSON
"""
import io, json, sys, urllib.request, zipfile

import boto3

ENDPOINT, MODE = sys.argv[1], sys.argv[2]
KW = dict(endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
ACCT = "123456789012"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ESCALATE = {"Version": "2012-10-17", "Statement": [{"Sid": "Deploy", "Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]}
NARROW = {"Version": "2012-10-17", "Statement": [{"Sid": "ReadOrders", "Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": f"arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"}]}
TAGS = [{"Key": "team", "Value": "payments"}, {"Key": "environment", "Value": "prod"}, {"Key": "data-sensitivity", "Value": "confidential"}]

iam = boto3.client("iam", **KW)
if MODE == "setup":
    urllib.request.urlopen(urllib.request.Request(ENDPOINT + "/moto-api/reset", data=b"", method="POST"), timeout=300).read()
    for name in ("orders-deployer", "orders-reader"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), Tags=TAGS)
        iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    iam.put_role_policy(RoleName="orders-deployer", PolicyName="app", PolicyDocument=json.dumps(ESCALATE))
    data = iam.create_policy(PolicyName="orders-data", PolicyDocument=json.dumps(NARROW))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="orders-reader", PolicyArn=data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {}\n")
    lam = boto3.client("lambda", **KW)
    for fn, role in (("orders-api", "orders-deployer"), ("orders-report", "orders-reader")):
        lam.create_function(FunctionName=fn, Runtime="python3.12", Role=f"arn:aws:iam::{ACCT}:role/{role}", Handler="app.handler",
                            Code={"ZipFile": buf.getvalue()},
                            Tags={**{t["Key"]: t["Value"] for t in TAGS}, **({"team-email": "tag-lead@example.com"} if fn == "orders-report" else {})})
    sns, sqs = boto3.client("sns", **KW), boto3.client("sqs", **KW)
    topic = sns.create_topic(Name="rolecall-alerts")["TopicArn"]
    url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    boto3.client("securityhub", **KW).enable_security_hub()
    boto3.client("s3", **KW).create_bucket(Bucket="rolecall-reports")
    org = boto3.client("organizations", **KW)
    org.create_organization(FeatureSet="ALL")
    other = org.create_account(Email="other@example.com", AccountName="other")["CreateAccountStatus"]["AccountId"]
    boto3.client("ses", **KW).verify_email_identity(EmailAddress="rolecall@example.com")
    # A member account with an escalating role, and an SCP on it that denies iam:PassRole.
    creds = boto3.client("sts", **KW).assume_role(RoleArn=f"arn:aws:iam::{other}:role/OrganizationAccountAccessRole", RoleSessionName="seed")["Credentials"]
    member_iam = boto3.client("iam", endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                              aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    member_iam.create_role(RoleName="member-deployer", AssumeRolePolicyDocument=json.dumps(TRUST), Tags=TAGS)
    member_iam.put_role_policy(RoleName="member-deployer", PolicyName="app", PolicyDocument=json.dumps(ESCALATE))
    scp = org.create_policy(Name="no-passrole", Description="deny PassRole", Type="SERVICE_CONTROL_POLICY",
                            Content=json.dumps({"Version": "2012-10-17", "Statement": [
                                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                                {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}]}))["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp, TargetId=other)
    print(json.dumps({"topic": topic, "queue": url, "policy": data, "other_account": other}))
elif MODE == "statemachine":
    # deploy/template.yaml's definition (substituted), created in moto's Step Functions.
    sfn = boto3.client("stepfunctions", **KW)
    definition = open(sys.argv[3]).read()
    arn = sfn.create_state_machine(name="rolecall-org-scan", definition=definition,
                                   roleArn=f"arn:aws:iam::{ACCT}:role/rolecall-OrgScanRole")["stateMachineArn"]
    d = sfn.describe_state_machine(stateMachineArn=arn)
    print(json.dumps({"status": d["status"], "definition": json.loads(d["definition"])}))
elif MODE == "fix":
    iam.put_role_policy(RoleName="orders-deployer", PolicyName="app", PolicyDocument=json.dumps(NARROW))
    print("{}")
else:
    sqs = boto3.client("sqs", **KW)
    url = sqs.get_queue_url(QueueName="alerts")["QueueUrl"]
    msgs = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        for m in got:
            msgs.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    hub = boto3.client("securityhub", **KW)
    findings, token = [], None
    while True:
        page = hub.get_findings(MaxResults=100, **({"NextToken": token} if token else {}))
        findings += [{"Id": f["Id"], "GeneratorId": f["GeneratorId"], "RecordState": f.get("RecordState"), "Workflow": f.get("Workflow", {}).get("Status"),
                      "Resources": [r["Id"] for r in f.get("Resources", [])]} for f in page["Findings"]]
        token = page.get("NextToken")
        if not token:
            break
    s3 = boto3.client("s3", **KW)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="rolecall-reports").get("Contents", [])]
    sent = boto3.client("ses", **KW).get_send_quota()["SentLast24Hours"]
    print(json.dumps({"messages": msgs, "findings": findings, "keys": keys, "emails_sent": sent}))
