#!/usr/bin/env bash
# export-aws.sh saves what pdp import aws reads of an AWS account, with the
# AWS CLI (v2) and the credentials it is configured with:
#
#   DIR/gaad.json          aws iam get-account-authorization-details, with
#                          customer and AWS managed policies
#   DIR/organization/      the organization's SCPs and where they attach
#                          (needs the management account or a delegated
#                          administrator; skipped with --no-organization)
#   DIR/pinpoint/          Pinpoint apps, SMS and voice resources, their tags
#                          and resource policies, in the region
#                          (skipped with --no-pinpoint)
#
# Each file is the JSON output of one command, named after the command and,
# for per-item commands, its argument (an ARN URL-escaped: % as %25, / as
# %2F and : as %3A). Then:
#
#   pdp import aws --gaad DIR/gaad.json --organization DIR/organization \
#     --pinpoint DIR/pinpoint --out policies/
#
# Usage: export-aws.sh [-o DIR] [--profile NAME] [--region REGION]
#                      [--no-organization] [--no-pinpoint]
set -euo pipefail

out=aws-export
org=1
pinpoint=1
aws=(aws)
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--out) out=$2; shift 2 ;;
    --profile) aws+=(--profile "$2"); shift 2 ;;
    --region) aws+=(--region "$2"); shift 2 ;;
    --no-organization) org=0; shift ;;
    --no-pinpoint) pinpoint=0; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "export-aws.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v aws >/dev/null || { echo "export-aws.sh: the AWS CLI (aws) is not on PATH" >&2; exit 1; }

# save FILE ARGS…: run one AWS CLI command, its JSON output into FILE.
save() {
  local file=$1; shift
  mkdir -p "$(dirname "$file")"
  # The explicit check also holds where set -e does not (in "if !").
  if ! "${aws[@]}" "$@" --output json > "$file.tmp"; then
    rm -f "$file.tmp"
    return 1
  fi
  mv "$file.tmp" "$file"
}

# try FILE ARGS…: as save, but a failure (such as no resource policy)
# leaves no file and is only reported.
try() {
  local file=$1; shift
  mkdir -p "$(dirname "$file")"
  if ! save "$file" "$@" 2>"$file.err"; then
    echo "export-aws.sh: skipped $*: $(head -c 300 "$file.err")" >&2
  fi
  rm -f "$file.err"
}

# values KEY FILE: the string values of KEY in a JSON output, one a line.
values() {
  sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" "$2"
}

# escape ARN: the ARN as a file name.
escape() {
  local s=${1//%/%25}
  s=${s//\//%2F}
  printf '%s' "${s//:/%3A}"
}

mkdir -p "$out"
save "$out/gaad.json" iam get-account-authorization-details \
  --filter User Role Group LocalManagedPolicy AWSManagedPolicy

if [ "$org" = 1 ]; then
  o=$out/organization
  save "$o/describe-organization.json" organizations describe-organization
  save "$o/list-roots.json" organizations list-roots
  parents=$(values Id "$o/list-roots.json")
  while [ -n "$parents" ]; do
    next=
    for p in $parents; do
      save "$o/list-accounts-for-parent/$p.json" organizations list-accounts-for-parent --parent-id "$p"
      save "$o/list-organizational-units-for-parent/$p.json" organizations list-organizational-units-for-parent --parent-id "$p"
      next="$next $(values Id "$o/list-organizational-units-for-parent/$p.json")"
    done
    parents=$(echo $next)
  done
  save "$o/list-policies.json" organizations list-policies --filter SERVICE_CONTROL_POLICY
  for id in $(values Id "$o/list-policies.json"); do
    save "$o/describe-policy/$id.json" organizations describe-policy --policy-id "$id"
    save "$o/list-targets-for-policy/$id.json" organizations list-targets-for-policy --policy-id "$id"
  done
fi

if [ "$pinpoint" = 1 ]; then
  p=$out/pinpoint
  save "$p/pinpoint/get-apps.json" pinpoint get-apps
  for kind in phone-numbers:PhoneNumberArn pools:PoolArn opt-out-lists:OptOutListArn \
              sender-ids:SenderIdArn configuration-sets:ConfigurationSetArn; do
    cmd=describe-${kind%%:*}
    save "$p/sms-voice/$cmd.json" pinpoint-sms-voice-v2 "$cmd"
    for arn in $(values "${kind##*:}" "$p/sms-voice/$cmd.json"); do
      name=$(escape "$arn")
      save "$p/sms-voice/list-tags-for-resource/$name.json" pinpoint-sms-voice-v2 list-tags-for-resource --resource-arn "$arn"
      case "$cmd" in
        describe-configuration-sets) ;; # configuration sets have no resource policy
        *) try "$p/sms-voice/get-resource-policy/$name.json" pinpoint-sms-voice-v2 get-resource-policy --resource-arn "$arn" ;;
      esac
    done
  done
fi

echo "exported to $out; next:" >&2
args="--gaad $out/gaad.json"
[ "$org" = 1 ] && args="$args --organization $out/organization"
[ "$pinpoint" = 1 ] && args="$args --pinpoint $out/pinpoint"
echo "  pdp import aws $args --out policies/" >&2
