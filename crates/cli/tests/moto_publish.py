#!/usr/bin/env python3
"""Helper for the publishing test against moto.

    moto_publish.py ENDPOINT setup      # bucket, SNS topic with an SQS subscriber, Security Hub on; prints JSON
    moto_publish.py ENDPOINT check      # what arrived: S3 keys, SQS messages, Security Hub findings; prints JSON
"""
import json, sys, urllib.request

import boto3

ENDPOINT, MODE = sys.argv[1], sys.argv[2]
KW = dict(endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")

if MODE == "setup":
    urllib.request.urlopen(urllib.request.Request(ENDPOINT + "/moto-api/reset", data=b"", method="POST"), timeout=10).read()
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
