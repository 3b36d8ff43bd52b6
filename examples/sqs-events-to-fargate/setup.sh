#!/usr/bin/env bash
# sqs-events-to-fargate/setup.sh, run once by an administrator: the SQS queue that S3 Event
# Notifications go to (with a dead-letter queue for messages that keep failing), the queue
# policy that lets the bucket send to it (queue-policy.json), and the bucket's notification
# configuration (notification.json: object created under PREFIX). Prints the queue's URL.
#
#   BUCKET=my-uploads QUEUE=upload-events ./setup.sh      (optional: PREFIX, default uploads/)
#
# Note: a bucket has one notification configuration; this replaces whatever is there.
set -euo pipefail
: "${BUCKET:?set BUCKET to the bucket users upload to}"
: "${QUEUE:?set QUEUE to the name of the queue to create}"
PREFIX=${PREFIX:-uploads/}
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
endpoint=()  # the AWS CLI v1 reads AWS_ENDPOINT_URL for some services only
[ -z "${AWS_ENDPOINT_URL:-}" ] || endpoint=(--endpoint-url "$AWS_ENDPOINT_URL")
awsx() { aws ${endpoint[@]+"${endpoint[@]}"} "$@"; }  # (macOS bash 3.2: no empty "${a[@]}" under set -u)

account=$(awsx sts get-caller-identity --query Account --output text)
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-$(awsx configure get region || true)}}
: "${region:?set AWS_REGION}"
# fill FILE: the file with ${BUCKET}, ${PREFIX}, ${QUEUE_ARN} and ${ACCOUNT_ID} filled in.
fill() {
  sed -e "s|\${BUCKET}|$BUCKET|g" -e "s|\${PREFIX}|$PREFIX|g" -e "s|\${ACCOUNT_ID}|$account|g" \
    -e "s|\${QUEUE_ARN}|arn:aws:sqs:$region:$account:$QUEUE|g" "$here/$1"
}

# Messages received 5 times without being deleted (a crash mid-way, every time) move aside.
dlq_url=$(awsx sqs create-queue --queue-name "$QUEUE-dead-letters" \
  --attributes MessageRetentionPeriod=1209600 --query QueueUrl --output text)
dlq_arn=$(awsx sqs get-queue-attributes --queue-url "$dlq_url" --attribute-names QueueArn \
  --query Attributes.QueueArn --output text)
attributes=$(jq -nc --arg policy "$(fill queue-policy.json)" --arg dlq "$dlq_arn" '{
  Policy: $policy,
  VisibilityTimeout: "300",
  ReceiveMessageWaitTimeSeconds: "20",
  RedrivePolicy: ({deadLetterTargetArn: $dlq, maxReceiveCount: "5"} | tojson)}')
queue_url=$(awsx sqs create-queue --queue-name "$QUEUE" --attributes "$attributes" \
  --query QueueUrl --output text)
awsx s3api put-bucket-notification-configuration --bucket "$BUCKET" \
  --notification-configuration "$(fill notification.json)"
echo "$queue_url"
