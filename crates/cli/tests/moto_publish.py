#!/usr/bin/env python3
"""Helper for the publishing test against moto.

    moto_publish.py ENDPOINT setup      # bucket, SNS topic with an SQS subscriber, Security Hub on; prints JSON
    moto_publish.py ENDPOINT check      # what arrived: S3 keys, SQS messages, Security Hub findings; prints JSON
    moto_publish.py ENDPOINT logs       # a CloudTrail bucket: one log file, one truncated, one other object
"""
import gzip, json, sys, urllib.request

import boto3

ENDPOINT, MODE = sys.argv[1], sys.argv[2]
KW = dict(endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")

if MODE == "logs":
    s3 = boto3.client("s3", **KW)
    s3.create_bucket(Bucket="org-cloudtrail-logs")
    role = "arn:aws:iam::111111111111:role/lambda-orders-role"
    ev = {"eventSource": "sqs.amazonaws.com", "eventName": "SendMessage", "eventTime": "2026-11-20T10:00:00Z", "awsRegion": "us-east-1",
          "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111111111111:assumed-role/lambda-orders-role/orders",
                           "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role}}}}
    body = gzip.compress(json.dumps({"Records": [ev, ev]}).encode())
    base = "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/"
    s3.put_object(Bucket="org-cloudtrail-logs", Key=base + "111111111111_CloudTrail_us-east-1_20261120T1000Z_a.json.gz", Body=body)
    s3.put_object(Bucket="org-cloudtrail-logs", Key=base + "111111111111_CloudTrail_us-east-1_20261120T1005Z_b.json.gz", Body=body[: len(body) // 2])
    s3.put_object(Bucket="org-cloudtrail-logs", Key="AWSLogs/111111111111/CloudTrail-Digest/x.txt", Body=b"digest")
    print(json.dumps({"role": role}))
elif MODE == "setup":
    urllib.request.urlopen(urllib.request.Request(ENDPOINT + "/moto-api/reset", data=b"", method="POST"), timeout=300).read()  # a reset takes seconds: see moto_seed.py
    boto3.client("s3", **KW).create_bucket(Bucket="rolecall-reports")
    sns, sqs = boto3.client("sns", **KW), boto3.client("sqs", **KW)
    topic = sns.create_topic(Name="rolecall-alerts")["TopicArn"]
    url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    boto3.client("securityhub", **KW).enable_security_hub()
    print(json.dumps({"topic": topic, "queue": url}))
else:
    s3 = boto3.client("s3", **KW)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="rolecall-reports").get("Contents", [])]
    url = boto3.client("sqs", **KW).get_queue_url(QueueName="alerts")["QueueUrl"]
    msgs = [m["Body"] for m in boto3.client("sqs", **KW).receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    hub = boto3.client("securityhub", **KW)
    findings, token = [], None
    while True:
        page = hub.get_findings(MaxResults=100, **({"NextToken": token} if token else {}))
        findings += [{"Id": f["Id"], "GeneratorId": f["GeneratorId"], "RecordState": f.get("RecordState"), "Workflow": f.get("Workflow", {}).get("Status")} for f in page["Findings"]]
        token = page.get("NextToken")
        if not token:
            break
    print(json.dumps({"keys": keys, "messages": msgs, "findings": findings}))
