package auth

// envoyAuthorization is Envoy's external authorization service
// (envoy.service.auth.v3.Authorization, served by internal/extauthz with
// -ext-authz): a decision service, authenticated with the others when
// RequireForDecisions is set.
const envoyAuthorization = "envoy.service.auth.v3.Authorization"
