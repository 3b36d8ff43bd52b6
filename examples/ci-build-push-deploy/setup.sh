#!/usr/bin/env bash
# ci-build-push-deploy/setup.sh, run once by an administrator (not by CI, whose role then needs
# no ecr:CreateRepository): the ECR repository, scanned on push; the repository policy that lets
# Lambda pull its images (for FUNCTION); and a lifecycle policy for untagged images only
# (ecr-lifecycle-policy.json). Old revisions, versions and the images only they named are ci.sh's
# to clean up (KEEP_REVISIONS, KEEP_VERSIONS, DELETE_IMAGES): a lifecycle policy counting images
# or days would delete an image a live task definition or function version still runs. With
# DELETE_IMAGES=no, add such a count rule yourself.
#
#   REPOSITORY=team/app ./setup.sh
set -euo pipefail
: "${REPOSITORY:?set REPOSITORY, e.g. team/app}"
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
endpoint=()  # the AWS CLI v1 reads AWS_ENDPOINT_URL for some services only
[ -z "${AWS_ENDPOINT_URL:-}" ] || endpoint=(--endpoint-url "$AWS_ENDPOINT_URL")
awsx() { aws ${endpoint[@]+"${endpoint[@]}"} "$@"; }  # (macOS bash 3.2: no empty "${a[@]}" under set -u)

awsx ecr describe-repositories --repository-names "$REPOSITORY" >/dev/null 2>&1 ||
  awsx ecr create-repository --repository-name "$REPOSITORY" \
    --image-scanning-configuration scanOnPush=true --query repository.repositoryUri --output text
awsx ecr put-lifecycle-policy --repository-name "$REPOSITORY" \
  --lifecycle-policy-text "file://$here/ecr-lifecycle-policy.json" --query repositoryName --output text
awsx ecr set-repository-policy --repository-name "$REPOSITORY" \
  --policy-text "file://$here/ecr-repository-policy.json" --query repositoryName --output text
