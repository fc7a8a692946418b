package push

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/regclient"
)

// missingBlobs lists the config and layer blobs repo lacks (HEAD each).
func missingBlobs(ctx context.Context, access *regclient.Access, img *blobimage.Image, repo name.Repository, o Options) ([]v1.Descriptor, error) {
	client, err := Client(ctx, access, repo, o.Retry, transport.PullScope)
	if err != nil {
		return nil, err
	}
	m := img.Manifest()
	var missing []v1.Descriptor
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		ok, err := BlobExists(ctx, client, repo, d.Digest)
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = append(missing, d)
		}
	}
	return missing, nil
}

// Client is an authenticated, retrying HTTP client for repo, under access's
// rules for credentials.
func Client(ctx context.Context, access *regclient.Access, repo name.Repository, r regclient.Retry, scope string) (*http.Client, error) {
	auth, err := authn.Resolve(ctx, access.Keychain(), repo)
	if err != nil {
		return nil, err
	}
	t, err := transport.NewWithContext(ctx, repo.Registry, auth, access.Transport(nil, r), []string{repo.Scope(scope)})
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t}, nil
}

// BlobExists asks repo whether it has blob h.
func BlobExists(ctx context.Context, client *http.Client, repo name.Repository, h v1.Hash) (bool, error) {
	u := fmt.Sprintf("%s://%s/v2/%s/blobs/%s", repo.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), h)
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("HEAD %s: %s", u, resp.Status)
}
