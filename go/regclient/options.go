package regclient

import (
	"context"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RemoteOptions configures go-containerregistry's remote package with the
// keychain, the retrying transport, and the same budget for whole-blob
// upload retries (whose bodies the transport cannot replay).
func RemoteOptions(ctx context.Context, r Retry, jobs int) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(Keychain()),
		remote.WithTransport(NewTransport(nil, r)),
		remote.WithRetryBackoff(remote.Backoff{Duration: r.BaseDelay, Factor: 2, Jitter: 0.5, Steps: r.Attempts, Cap: r.MaxDelay}),
		remote.WithRetryStatusCodes(408, 429, 500, 502, 503, 504),
		remote.WithJobs(max(jobs, 1)),
		remote.WithUserAgent("rules_strata"),
	}
}
