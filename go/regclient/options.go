package regclient

import (
	"context"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RemoteOptions is NewAccess().RemoteOptions, for a command that talks to
// one registry (pull). Push scopes credentials with NewAccess(hosts...).
func RemoteOptions(ctx context.Context, r Retry, jobs int) []remote.Option {
	return NewAccess().RemoteOptions(ctx, r, jobs)
}
