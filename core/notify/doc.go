// Package notify delivers alert notifications to receivers: shoutrrr URLs (e-mail, Slack,
// Teams, Telegram, Discord, ntfy, PagerDuty, …), signed HTTP webhooks, MQTT (with Home
// Assistant discovery), KakaoTalk Alimtalk and SMS through NAVER Cloud SENS, and the Jandi
// and Dooray incoming-webhook presets.
//
// A Notifier is called from a durable job handler. Deliver returns nil once the receiver
// has accepted the message; an error otherwise. Errors for which a retry cannot help are
// marked permanent (IsPermanent); errors may carry a hint of when to retry (RetryAfter), for
// example from an HTTP 429 with Retry-After, an open circuit breaker or the receiver's own
// rate limit. Error messages and log lines never contain receiver secrets; Receiver.Redacted
// gives the copy of a configuration that is safe to show to non-admins and to log.
//
// The package does not depend on the alert engine or the job queue: Message is its own type.
package notify
