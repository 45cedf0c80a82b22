// Package notify delivers alert notifications to receivers: shoutrrr URLs (e-mail, Slack,
// Teams, Telegram, Discord, ntfy, PagerDuty, …), signed HTTP webhooks, MQTT (with Home
// Assistant discovery), KakaoTalk Alimtalk and SMS through NAVER Cloud SENS, and the Jandi
// and Dooray incoming-webhook presets.
//
// # Delivery contract
//
// A Notifier is called from a durable job handler. Deliver returns nil once the receiver
// has accepted the message (or when it was already delivered under the same Message.Key).
// Otherwise it returns a *DeliveryError: IsPermanent reports that retrying cannot help
// (invalid configuration, HTTP 4xx other than 408/429, a template that does not render);
// RetryAfter gives a hint of when to retry (HTTP Retry-After on 429/5xx, the receiver's own
// rate limit, an open circuit breaker). Rate limits (token bucket, Receiver.RateLimit per
// minute, burst the same), circuit breakers and the record of delivered keys live in memory,
// per receiver name. Deliver does not filter resolutions: Receiver.SendResolved is for the
// caller, which decides (once) whether a receiver gets them.
//
// # Secrets
//
// Receiver.Redacted returns the copy of a configuration that is safe to show to non-admins
// and to log. Error messages and log lines are scrubbed of every secret of the receiver
// (third-party errors, such as those of shoutrrr, can echo a URL with its token), and a
// DeliveryError keeps no reference to the original error.
//
// # Webhook signatures
//
// A webhook with a secret gets X-SignalCraft-Timestamp (Unix seconds) and
// X-SignalCraft-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body)).
// Receivers recompute it (WebhookSignature), compare in constant time, reject timestamps
// far from their clock (replays), and deduplicate on the Idempotency-Key header.
//
// # NAVER Cloud SENS
//
// Requests follow the SENS v2 API: POST {base}/alimtalk/v2/services/{serviceId}/messages
// with {plusFriendId, templateCode, messages:[{countryCode, to, content}]} (content is the
// approved template text with #{variables} filled in), and POST
// {base}/sms/v2/services/{serviceId}/messages with {type: SMS|LMS, contentType: COMM,
// countryCode, from, [subject], content, messages:[{to}]}; SMS up to 80 EUC-KR bytes, LMS
// beyond (subject 40 bytes, content 2000 bytes). Headers x-ncp-apigw-timestamp (Unix ms),
// x-ncp-iam-access-key and x-ncp-apigw-signature-v2 = base64(HMAC-SHA256(secretKey,
// "POST {path}\n{timestamp}\n{accessKey}")) (NCPSignature). SENS answers 202 on success.
//
// The package does not depend on the alert engine or the job queue: Message is its own type.
package notify
