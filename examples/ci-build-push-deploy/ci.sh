#!/usr/bin/env bash
# ci-build-push-deploy: the CI job after the build. Push the image to ECR, roll it out to an ECS
# service (waiting until healthy, rolling back if not) and, with FUNCTION, to a container-image
# Lambda function from the same image; keep the newest revisions and versions, delete the ECR
# images nothing uses any more, and append what happened to an audit log, one JSON line per
# step. No Docker daemon, no `aws ecr get-login-password | docker login`.
#
#   docker build -t app:ci . && docker save app:ci >app.tar     # or any OCI archive / layout
#   REGISTRY=123456789012.dkr.ecr.eu-west-1.amazonaws.com REPOSITORY=team/app \
#   CLUSTER=prod SERVICE=web ./ci.sh app.tar
#
# IMAGE: a docker-archive (docker save), or SOURCE:... as sluice-push takes it (oci:DIR:TAG,
# oci-archive:FILE). Optional: VERSION, the image's tag (default: GIT_SHA, else the commit's short
# hash); FUNCTION, a Lambda function to deploy the image to as well (its alias: ALIAS, default
# live); KEEP_REVISIONS and KEEP_VERSIONS (default 5 each), the task definition revisions and
# function versions kept; DELETE_IMAGES (default yes; "no" leaves images to a lifecycle policy):
# delete from ECR the images only the removed revisions and versions named, never one the
# service, its rollback revision, a running task or the function uses, never a tag matching
# PROTECT_TAG (default release-*); AUDIT (default deploys.jsonl); WAIT, how long the rollout may take (default 10m;
# "no" returns once the service is updated); ACTOR and RUN_URL for the record (default: GitHub
# Actions' or GitLab CI's variables, else $USER); REGISTRY_ENDPOINT to send the registry
# traffic elsewhere (a VPC endpoint, a test registry) while the image keeps its ECR name.
# Exit: 0 deployed, 1 the push or the rollout failed (rolled back; the record says which).
# Permissions: iam-policy.json (the CI role); setup.sh is run once by an administrator.
set -euo pipefail

source=${1:?usage: ci.sh IMAGE.tar (or oci:DIR:TAG, oci-archive:FILE)}
[[ "$source" == *:* ]] || source="docker-archive:$source"
: "${REGISTRY:?set REGISTRY, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com}"
: "${REPOSITORY:?set REPOSITORY, e.g. team/app}"
: "${CLUSTER:?set CLUSTER to the ECS cluster of the service}"
: "${SERVICE:?set SERVICE to the ECS service to deploy}"
VERSION=${VERSION:-${GIT_SHA:-$(git rev-parse --short HEAD)}}
AUDIT=${AUDIT:-deploys.jsonl}
ACTOR=${ACTOR:-${GITHUB_ACTOR:-${GITLAB_USER_LOGIN:-${USER:-unknown}}}}
if [ -n "${GITHUB_RUN_ID:-}" ]; then
  RUN_URL=${RUN_URL:-${GITHUB_SERVER_URL:-}/${GITHUB_REPOSITORY:-}/actions/runs/$GITHUB_RUN_ID}
fi
RUN_URL=${RUN_URL:-${CI_JOB_URL:-}}

push_flags=()
[ -z "${REGISTRY_ENDPOINT:-}" ] || push_flags+=(--registry-endpoint "$REGISTRY_ENDPOINT")
wait_flags=(--timeout "${WAIT:-10m}")
[ "${WAIT:-}" != no ] || wait_flags=(--no-wait)
# The service and the function run the same image: each clean-up counts the other's as in use.
ecs_cleanup=(--keep-revisions "${KEEP_REVISIONS:-5}")
lambda_cleanup=(--keep-versions "${KEEP_VERSIONS:-5}")
if [ "${DELETE_IMAGES:-yes}" != no ]; then
  ecs_cleanup+=(--delete-images --protect-tag "${PROTECT_TAG:-release-*}")
  lambda_cleanup+=(--delete-images --protect-tag "${PROTECT_TAG:-release-*}" --in-use-by "ecs:$CLUSTER")
  [ -z "${FUNCTION:-}" ] || ecs_cleanup+=(--in-use-by "lambda:$FUNCTION")
fi

# record STEP: the tool's result line on stdin, with who/what/when added, appended to $AUDIT and
# passed on. sluice-deploy's status is kept (completed, started, rolled_back, ...); a push is
# "succeeded", and a tool that failed with no result line (a registry refusing the push) still
# leaves one: status failed.
record() {
  jq -c -s --arg step "$1" --arg version "$VERSION" --arg actor "$ACTOR" --arg run "$RUN_URL" \
    '{time: (now | todate), step: $step, version: $version, actor: $actor, run: $run} +
     (if length > 0 then {status: "succeeded"} + .[0]
      else {status: "failed", error: "no result line: see the job log"} end)' |
    tee -a "$AUDIT"
}

image=$(sluice-push --tag latest ${push_flags[@]+"${push_flags[@]}"} "$source" "$REGISTRY/$REPOSITORY:$VERSION" |
  record push | jq -r .image)
# By digest, never by tag: the service runs exactly what was pushed, whatever :latest becomes.
sluice-deploy --cluster "$CLUSTER" --service "$SERVICE" --image "$image" \
  "${ecs_cleanup[@]}" "${wait_flags[@]}" | record deploy >/dev/null
echo "deployed $image to $SERVICE ($AUDIT)" >&2
if [ -n "${FUNCTION:-}" ]; then
  # Callers invoke the alias: a failed update leaves it where it was.
  sluice-deploy --lambda-function "$FUNCTION" --image "$image" --alias "${ALIAS:-live}" \
    "${lambda_cleanup[@]}" | record deploy-lambda >/dev/null
  echo "deployed $image to $FUNCTION:${ALIAS:-live} ($AUDIT)" >&2
fi
