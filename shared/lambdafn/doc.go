// Package lambdafn wires Herald's Lambda functions: functions/negotiate
// (the app-facing connection-info endpoint, /api/negotiate), functions/api
// (the data-plane REST API and health, the rest of /api) and
// functions/chathub (the sample upstream hub). Each main calls Run with
// its name.
//
// Per cold start, Run reads its settings (config.Functions, from the
// environment; docs/configuration.md),
// reads the Redis URL (REDIS_URL, or the secret HERALD_REDIS_URL_SECRET
// with the AWS SDK) and creates one Redis client and one stateless Redis
// bus, shared by every invocation of that execution environment. The
// AccessKeys are read at the first invocation: from HERALD_ACCESS_KEYS, or
// a Secrets Manager secret or SSM parameter with the AWS SDK
// (shared/awsparams). Until they are read, requests
// get 503 and the next one tries again. The handlers are the ones the
// local emulator serves (functions.New, chathub.New), adapted to
// Lambda events by lambdahttp. Logs are JSON or text per the function's
// logging configuration, with the request id of each invocation
// (aws-lambda-go's lambdacontext handler).
package lambdafn
