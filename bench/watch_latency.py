#!/usr/bin/env python3
"""Detection latency of sluice-watch: the time from an S3 PUT completing to its event line on
sluice-watch's stdout, at --interval 1s, against a local moto_server. Used by bench/run-watch.

Usage: watch_latency.py SLUICE_WATCH_BINARY ENDPOINT BUCKET [ROUNDS]
The PUTs are made with botocore (already loaded, so they add no process start-up) at random
offsets within the poll interval; the expected mean is about half the interval plus one poll.
"""
import json
import random
import statistics
import subprocess
import sys
import time

import botocore.session


def main():
    binary, endpoint, bucket = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    s3 = botocore.session.get_session().create_client("s3", endpoint_url=endpoint)
    watch = subprocess.Popen([binary, "--interval", "1s", f"s3://{bucket}/latency.csv"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while "watching" not in watch.stderr.readline():
            pass
        latencies = []
        for i in range(rounds):
            time.sleep(random.uniform(0.0, 1.0))
            s3.put_object(Bucket=bucket, Key="latency.csv", Body=f"round {i}".encode())
            done = time.monotonic()
            event = json.loads(watch.stdout.readline())
            latencies.append(time.monotonic() - done)
            assert event["key"] == "latency.csv", event
        print(json.dumps({"rounds": rounds, "mean_s": statistics.mean(latencies),
                          "max_s": max(latencies), "min_s": min(latencies)}))
    finally:
        watch.terminate()
        watch.wait()


if __name__ == "__main__":
    main()
