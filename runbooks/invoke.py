"""Invokes one of the app's Lambda functions for an SSM Automation step, and fails the step when
the function fails.

Lambda's Invoke answers HTTP 200 to a function error and says so only in a header
(X-Amz-Function-Error); aws:invokeLambdaFunction documents FunctionError only as an output, so a
step built on it may well succeed while the revert failed. This script raises instead, and the
step, the runbook and the incident's timeline show the failure.

infra/runbooks.ts puts this file, as it is, into the aws:executeScript step of every runbook at
synth (Runtime python3.11, Handler invoke) and sets ReadTimeoutSeconds from the function's
timeout. test/runbooks/invoke.test.ts runs it with real boto3 against a loopback Lambda.
"""

import json

import boto3
from botocore.config import Config
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

# Enough of a failed function's answer to act on, short enough for the step's error message.
MAX_DETAIL = 2000


class FunctionFailed(Exception):
    """The function failed, or answered that it did not finish: the step must fail."""


def _detail(body):
    try:
        parsed = json.loads(body)
    except ValueError:
        return body[:MAX_DETAIL]
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return f"{parsed.get('errorType', 'Error')}: {parsed['errorMessage']}"[:MAX_DETAIL]
    return body[:MAX_DETAIL]


def invoke(events, context):
    name = events["FunctionName"]
    read_timeout = int(events["ReadTimeoutSeconds"])
    client = boto3.client(
        "lambda",
        config=Config(
            connect_timeout=10,
            # Above the function's own timeout: the answer of a slow run still arrives.
            read_timeout=read_timeout,
            # One attempt only: an invoke that timed out may still be running and writing, and a
            # blind retry would run the same changes twice.
            retries={"total_max_attempts": 1},
        ),
    )
    try:
        response = client.invoke(
            FunctionName=name,
            InvocationType="RequestResponse",
            Payload=json.dumps(events["Payload"]).encode("utf-8"),
        )
    except (ReadTimeoutError, ConnectTimeoutError) as err:
        raise FunctionFailed(
            f"{name} gave no answer within {read_timeout} s ({err}); it may still be running: "
            "read its log and the incident timeline before running the runbook again"
        ) from err

    body = response["Payload"].read().decode("utf-8")
    if response.get("FunctionError"):
        raise FunctionFailed(f"{name} failed ({response['FunctionError']}): {_detail(body)}")
    try:
        result = json.loads(body) if body else None
    except ValueError as err:
        raise FunctionFailed(f"{name} answered with a payload that is not JSON: {body[:MAX_DETAIL]}") from err
    if isinstance(result, dict) and result.get("ok") is False:
        raise FunctionFailed(f"{name} answered ok: false: {body[:MAX_DETAIL]}")
    return {"result": body}
