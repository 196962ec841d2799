package main

// actionExceptions maps "prefix:Operation" to the IAM action's name where
// the two differ. Every operation of the pinned models is named as its
// action in the catalog, so it is empty; the generator fails on an
// operation without an action of its name, and the row that fixes it goes
// here.
var actionExceptions = map[string]string{}

// upperCased are the ARN variables whose values Pinpoint spells in upper
// case while its paths spell them in lower case: a template of
// /v1/templates/{template-name}/email is arn:…:templates/NAME/EMAIL, a
// channel of /v1/apps/{application-id}/channels/apns_sandbox is
// arn:…:apps/ID/channels/APNS_SANDBOX (the TemplateType and ChannelType
// enumerations of the API).
var upperCased = map[string]bool{"TemplateType": true, "ChannelType": true}

// polymorphic are the SMS and voice v2 fields that name a resource of one
// of several types, told apart by the value's prefix (or by the value
// being an ARN). ResourceArn always holds an ARN.
var polymorphic = []string{"OriginationIdentity", "ResourceId"}

// arnField is the SMS and voice v2 field that holds a resource ARN.
const arnField = "ResourceArn"

// idPrefixes are the prefixes of the IDs AWS gives resources of these
// types; the type without a prefix (SenderId) is the one taken when none
// matches.
var idPrefixes = map[string]string{"PhoneNumber": "phone-", "Pool": "pool-", "RcsAgent": "rcs-"}
