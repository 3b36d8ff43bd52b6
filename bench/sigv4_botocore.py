#!/usr/bin/env python3
"""SigV4 signing throughput of botocore, for comparison with bench/sigv4_bench.cc.

Signs the same two requests (an S3 GET and an ECS RunTask JSON POST) with botocore's own signers
(S3SigV4Auth / SigV4Auth on an AWSRequest), building a fresh AWSRequest per signature as botocore
does per call, for about --seconds of CPU time each, and prints one JSON line per request:
  {"name": "s3_get", "signatures": N, "seconds": T, "signatures_per_second": R}
Rates are per second of this process's CPU time, as Google Benchmark's items_per_second are, so
other work on a shared core does not count against either side.
"""

import argparse
import json
import sys
import time

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

# The same bytes as kRunTaskBody in bench/sigv4_bench.cc.
RUN_TASK_BODY = (
    b'{"cluster":"default","taskDefinition":"sluice-demo:3","launchType":"FARGATE",'
    b'"count":1,"networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-0abc1234"],'
    b'"securityGroups":["sg-0def5678"],"assignPublicIp":"ENABLED"}},'
    b'"overrides":{"containerOverrides":[{"name":"app","command":["process","s3://bucket/in/x.csv"]}]}}'
)


def s3_get():
    # An empty body: botocore signs the empty body's hash, as BM_SignS3Get does.
    host = "examplebucket.s3.us-east-1.amazonaws.com"
    request = AWSRequest(
        "GET", f"https://{host}/data/2026/11/23/part-00042.parquet", headers={"Host": host}
    )
    S3SigV4Auth(CREDENTIALS, "s3", "us-east-1").add_auth(request)
    return request


def ecs_json_post():
    request = AWSRequest(
        "POST",
        "https://ecs.us-east-1.amazonaws.com/",
        data=RUN_TASK_BODY,
        headers={
            "Host": "ecs.us-east-1.amazonaws.com",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.RunTask",
        },
    )
    SigV4Auth(CREDENTIALS, "ecs", "us-east-1").add_auth(request)
    return request


def measure(name, sign, seconds):
    sign()  # warm up (imports, caches)
    count = 0
    start = time.process_time()
    deadline = start + seconds
    now = start
    while now < deadline:
        for _ in range(100):  # read the clock every 100 signatures, not every one
            sign()
        count += 100
        now = time.process_time()
    elapsed = now - start
    return {
        "name": name,
        "signatures": count,
        "seconds": round(elapsed, 3),
        "signatures_per_second": round(count / elapsed),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per request (default 2)")
    args = parser.parse_args()
    for name, sign in (("s3_get", s3_get), ("ecs_json_post", ecs_json_post)):
        print(json.dumps(measure(name, sign, args.seconds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
