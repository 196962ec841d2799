// k6 load test of pdp's Check over gRPC. The client finds the service by
// server reflection, so no .proto file is needed:
//
//   make run                                   # pdp on 127.0.0.1:8181, examples/model
//   k6 run k6/check.js                         # in another shell
//
// It sends the README's three Check requests round robin at a constant
// rate and checks every decision. To send a generated workload instead:
//
//   bin/pdp-loadgen -out /tmp/load
//   bin/pdp serve --store bolt --data-dir /tmp/load/store --seed /tmp/load/model
//   k6 run -e REQUESTS=/tmp/load/requests/check.json \
//          -e EXPECTED=/tmp/load/requests/expected.json k6/check.js
//
// Environment: PDP_ADDR (host:port, default 127.0.0.1:8181), RATE (calls
// per second, default 500), DURATION (default 30s), VUS (pre-allocated
// virtual users, default 20), MAX_VUS (default 100), P99_MS (the p99
// latency threshold in milliseconds, default 25), REQUESTS and EXPECTED
// (absolute paths, or paths relative to this script).
import grpc from 'k6/net/grpc';
import { check } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';

const addr = __ENV.PDP_ADDR || '127.0.0.1:8181';

const account = '111122223333';
const springSale = `arn:aws:mobiletargeting:us-east-1:${account}:apps/growth-app/campaigns/spring-sale`;
const overTLS = {
  'aws:RequestedRegion': { string_value: 'us-east-1' },
  'aws:SecureTransport': { string_value: 'true' },
};

// The README's requests against examples/model: an allow, an explicit
// deny (alice's boundary guard on deletes) and an implicit deny (bob is
// not on the growth team).
const examples = [
  {
    request: { principal: `arn:aws:iam::${account}:user/alice`, action: 'mobiletargeting:UpdateCampaign', resource: springSale, context: overTLS },
    want: 'DECISION_ALLOW',
  },
  {
    request: {
      principal: `arn:aws:iam::${account}:user/alice`, action: 'mobiletargeting:DeleteCampaign', resource: springSale,
      context: { 'aws:RequestedRegion': { string_value: 'us-east-1' } },
    },
    want: 'DECISION_EXPLICIT_DENY',
  },
  {
    request: { principal: `arn:aws:iam::${account}:user/bob`, action: 'mobiletargeting:UpdateCampaign', resource: springSale, context: overTLS },
    want: 'DECISION_IMPLICIT_DENY',
  },
];

// cases are read once in the init context and shared by every virtual user.
const cases = new SharedArray('check requests', function () {
  if (!__ENV.REQUESTS) {
    return examples;
  }
  const requests = JSON.parse(open(__ENV.REQUESTS));
  // expected.json, written beside the requests, maps each request file's
  // name to the decisions its requests are made to get.
  const wants = __ENV.EXPECTED ? JSON.parse(open(__ENV.EXPECTED))['check.json'] || [] : [];
  return requests.map((request, i) => ({ request: request, want: wants[i] || '' }));
});

export const options = {
  scenarios: {
    check: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 500),
      timeUnit: '1s',
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: Number(__ENV.VUS || 20),
      maxVUs: Number(__ENV.MAX_VUS || 100),
    },
  },
  thresholds: {
    grpc_req_duration: [`p(99)<${Number(__ENV.P99_MS || 25)}`],
    checks: ['rate>0.999'],
  },
};

const client = new grpc.Client();

export default function () {
  // connect cannot run in the init context; each virtual user connects on
  // its first iteration and keeps the connection.
  if (__ITER === 0) {
    client.connect(addr, { plaintext: true, reflect: true, timeout: '10s' });
  }
  const c = cases[exec.scenario.iterationInTest % cases.length];
  const res = client.invoke('pdp.v1.AuthorizationService/Check', c.request, { timeout: '5s' });
  check(res, {
    'status is OK': (r) => r && r.status === grpc.StatusOK,
    'decision is the expected one': (r) =>
      r && r.message && (c.want === '' ? r.message.decision !== 'DECISION_UNSPECIFIED' : r.message.decision === c.want),
  });
}
