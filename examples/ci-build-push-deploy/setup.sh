#!/usr/bin/env bash
# ci-build-push-deploy/setup.sh, run once by an administrator (not by CI, whose role then needs
# no ecr:CreateRepository): the ECR repository, scanned on push, and the lifecycle policy that
# cleans up old images (ecr-lifecycle-policy.json: untagged ones after 7 days, and all but the
# newest 30). Old task definition revisions are ci.sh's to clean up (KEEP_REVISIONS).
#
#   REPOSITORY=team/app ./setup.sh
set -euo pipefail
: "${REPOSITORY:?set REPOSITORY, e.g. team/app}"
here=$(dirname "${BASH_SOURCE[0]}")
endpoint=()
[ -z "${AWS_ENDPOINT_URL:-}" ] || endpoint=(--endpoint-url "$AWS_ENDPOINT_URL")

aws "${endpoint[@]}" ecr describe-repositories --repository-names "$REPOSITORY" >/dev/null 2>&1 ||
  aws "${endpoint[@]}" ecr create-repository --repository-name "$REPOSITORY" \
    --image-scanning-configuration scanOnPush=true --query repository.repositoryUri --output text
aws "${endpoint[@]}" ecr put-lifecycle-policy --repository-name "$REPOSITORY" \
  --lifecycle-policy-text "file://$here/ecr-lifecycle-policy.json" --query repositoryName --output text
